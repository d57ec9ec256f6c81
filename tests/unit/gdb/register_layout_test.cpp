#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "vmm/gdb/packet_layout.h"
#include "vmm/gdb/register_file.h"
#include "vmm/gdb/target_description.h"
#include "vmm/gdb/x86_register_layout.h"

namespace berth::gdb {
namespace {

TEST(GdbRegisterLayout, FollowsGdbsAmd64Numbering) {
    const auto& table = register_table();
    ASSERT_EQ(table.size(), 66u);
    const char* expected[] = {"rax", "rbx",    "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                              "r8",  "r9",     "r10", "r11", "r12", "r13", "r14", "r15",
                              "rip", "eflags", "cs",  "ss",  "ds",  "es",  "fs",  "gs"};
    for (size_t i = 0; i < std::size(expected); ++i) {
        EXPECT_EQ(table[i].name, expected[i]) << i;
    }
    EXPECT_EQ(table[24].name, "st0");
    EXPECT_EQ(table[32].name, "fctrl");
    EXPECT_EQ(table[39].name, "fop");
    EXPECT_EQ(table[40].name, "xmm0");
    EXPECT_EQ(table[56].name, "mxcsr");
    EXPECT_EQ(table[57].name, "fs_base");
    EXPECT_EQ(table[65].name, "efer");
}

TEST(GdbRegisterLayout, OffsetsAreTheRunningSumOfSizes) {
    EXPECT_EQ(register_offset(index_of(Reg::kRip)), 16 * 8u);
    EXPECT_EQ(register_offset(index_of(Reg::kEflags)), 17 * 8u);
    EXPECT_EQ(register_offset(index_of(Reg::kCs)), 17 * 8u + 4);
    EXPECT_EQ(register_offset(index_of(Reg::kSt0)), 17 * 8u + 4 + 6 * 4);
    EXPECT_EQ(register_size(index_of(Reg::kSt0)), 10u);
    EXPECT_EQ(register_size(index_of(Reg::kXmm15)), 16u);
    EXPECT_EQ(register_file_size(), RegisterFile::kSize);
    EXPECT_EQ(register_file_size(), 608u);
}

TEST(GdbRegisterFile, StoresLittleEndianAtTheRegistersOffset) {
    RegisterFile file;
    file.set(Reg::kRbx, 0x1122334455667788);
    file.set(Reg::kEflags, 0xffffffff00000202);  // a 32-bit register keeps the low half
    const auto bytes = file.bytes();
    EXPECT_EQ(bytes[8], 0x88);
    EXPECT_EQ(bytes[15], 0x11);
    EXPECT_EQ(file.get(Reg::kEflags), 0x202u);
    EXPECT_EQ(bytes[register_offset(index_of(Reg::kCs))], 0u);  // the neighbour is untouched
}

TEST(GdbTargetDescription, DescribesEveryRegisterInPacketOrder) {
    const std::string& xml = target_description_xml(TargetArchitecture::kAmd64);
    EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
    for (const char* feature : {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
                                "org.gnu.gdb.i386.segments", "org.berth.x86.system"}) {
        EXPECT_NE(xml.find(feature), std::string::npos) << feature;
    }
    const std::regex reg_pattern(
        R"re(<reg name="(\w+)" bitsize="(\d+)" type="\w+" regnum="(\d+)")re");
    size_t count = 0;
    size_t total_bits = 0;
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), reg_pattern);
         it != std::sregex_iterator(); ++it, ++count) {
        const auto& match = *it;
        EXPECT_EQ(std::stoul(match[3].str()), count) << "registers out of order";
        EXPECT_EQ(match[1].str(), register_table()[count].name);
        total_bits += std::stoul(match[2].str());
    }
    EXPECT_EQ(count, kRegisterCount);
    EXPECT_EQ(total_bits / 8, RegisterFile::kSize);
    // Every type a register names is gdb's own or defined in the document.
    for (const char* type :
         {"i386_eflags", "vec128", "i386_mxcsr", "x86_cr0", "x86_cr4", "x86_efer"}) {
        EXPECT_NE(xml.find(std::string("id=\"") + type + "\""), std::string::npos) << type;
    }
}

TEST(GdbPacketLayout, Amd64IsTheRegisterFileItself) {
    const PacketLayout& layout = packet_layout(TargetArchitecture::kAmd64);
    EXPECT_EQ(layout.architecture(), "i386:x86-64");
    EXPECT_EQ(layout.size(), RegisterFile::kSize);
    RegisterFile file;
    file.set(Reg::kR9, 0x99);
    const auto packet = layout.encode(file);
    EXPECT_TRUE(std::equal(packet.begin(), packet.end(), file.bytes().begin()));
}

TEST(GdbPacketLayout, I386FollowsGdbs32BitCore) {
    const PacketLayout& layout = packet_layout(TargetArchitecture::kI386);
    EXPECT_EQ(layout.architecture(), "i386");
    const char* expected[] = {"eax",    "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip",
                              "eflags", "cs",  "ss",  "ds",  "es",  "fs",  "gs",  "st0"};
    for (size_t i = 0; i < std::size(expected); ++i) {
        EXPECT_EQ(layout.registers()[i].info.name, expected[i]) << i;
    }
    EXPECT_EQ(layout.registers()[32].info.name, "xmm0");  // after the 16 core and 16 x87 ones
    EXPECT_EQ(layout.registers()[40].info.name, "mxcsr");
    // 8 + eip + eflags + 6 selectors: 4 bytes each; 8 x87 of 10; 8 x87 control of 4; 8 xmm
    // of 16; mxcsr; cr0, cr2, cr3, cr4 of 4; efer of 8.
    EXPECT_EQ(layout.size(), 16 * 4u + 80 + 32 + 128 + 4 + 4 * 4 + 8);
    const std::string& xml = target_description_xml(TargetArchitecture::kI386);
    EXPECT_NE(xml.find("<architecture>i386</architecture>"), std::string::npos);
    EXPECT_NE(xml.find("<flags id=\"x86_cr0\" size=\"4\">"), std::string::npos);
    EXPECT_EQ(xml.find("rax"), std::string::npos);
    EXPECT_EQ(xml.find("org.gnu.gdb.i386.segments"), std::string::npos);  // no empty features
}

}  // namespace
}  // namespace berth::gdb
