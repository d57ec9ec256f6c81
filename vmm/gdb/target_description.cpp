#include "vmm/gdb/target_description.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "vmm/gdb/packet_layout.h"

namespace berth::gdb {
namespace {

// Types the registers refer to: gdb's own definitions of eflags and mxcsr
// (features/i386/64bit-core.xml, 64bit-sse.xml), a vec128 union, and bit
// fields for cr0, cr4 and EFER so `p $cr0` prints [ PE ET WP PG ].
constexpr const char* kCoreTypes = R"(    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
)";

constexpr const char* kSseTypes = R"(    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/>
      <field name="DE" start="1" end="1"/>
      <field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/>
      <field name="UE" start="4" end="4"/>
      <field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/>
      <field name="IM" start="7" end="7"/>
      <field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/>
      <field name="OM" start="10" end="10"/>
      <field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/>
      <field name="FZ" start="15" end="15"/>
    </flags>
)";

// cr0 and cr4 are 8 bytes wide on amd64, 4 on i386: "{0}" is that size.
constexpr const char* kSystemTypes = R"(    <flags id="x86_cr0" size="{0}">
      <field name="PE" start="0" end="0"/>
      <field name="MP" start="1" end="1"/>
      <field name="EM" start="2" end="2"/>
      <field name="TS" start="3" end="3"/>
      <field name="ET" start="4" end="4"/>
      <field name="NE" start="5" end="5"/>
      <field name="WP" start="16" end="16"/>
      <field name="AM" start="18" end="18"/>
      <field name="NW" start="29" end="29"/>
      <field name="CD" start="30" end="30"/>
      <field name="PG" start="31" end="31"/>
    </flags>
    <flags id="x86_cr4" size="{0}">
      <field name="VME" start="0" end="0"/>
      <field name="PVI" start="1" end="1"/>
      <field name="TSD" start="2" end="2"/>
      <field name="DE" start="3" end="3"/>
      <field name="PSE" start="4" end="4"/>
      <field name="PAE" start="5" end="5"/>
      <field name="MCE" start="6" end="6"/>
      <field name="PGE" start="7" end="7"/>
      <field name="PCE" start="8" end="8"/>
      <field name="OSFXSR" start="9" end="9"/>
      <field name="OSXMMEXCPT" start="10" end="10"/>
      <field name="UMIP" start="11" end="11"/>
      <field name="LA57" start="12" end="12"/>
      <field name="VMXE" start="13" end="13"/>
      <field name="FSGSBASE" start="16" end="16"/>
      <field name="PCIDE" start="17" end="17"/>
      <field name="OSXSAVE" start="18" end="18"/>
      <field name="SMEP" start="20" end="20"/>
      <field name="SMAP" start="21" end="21"/>
      <field name="PKE" start="22" end="22"/>
    </flags>
    <flags id="x86_efer" size="8">
      <field name="SCE" start="0" end="0"/>
      <field name="LME" start="8" end="8"/>
      <field name="LMA" start="10" end="10"/>
      <field name="NXE" start="11" end="11"/>
      <field name="SVME" start="12" end="12"/>
      <field name="FFXSR" start="14" end="14"/>
    </flags>
)";

struct FeatureText {
    RegisterFeature feature;
    const char* name;
    const char* types;
};

constexpr FeatureText kFeatures[] = {
    {RegisterFeature::kCore, "org.gnu.gdb.i386.core", kCoreTypes},
    {RegisterFeature::kSse, "org.gnu.gdb.i386.sse", kSseTypes},
    {RegisterFeature::kSegments, "org.gnu.gdb.i386.segments", ""},
    {RegisterFeature::kSystem, "org.berth.x86.system", kSystemTypes},
};

std::string build_description(TargetArchitecture architecture) {
    const PacketLayout& layout = packet_layout(architecture);
    std::string xml = fmt::format(
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
        "<target version=\"1.0\">\n"
        "  <architecture>{}</architecture>\n",
        layout.architecture());
    // Real and protected mode mean bare metal: no OS ABI (gdb would assume
    // GNU/Linux, and warn that it has none for i8086).
    if (architecture != TargetArchitecture::kAmd64) {
        xml += "  <osabi>none</osabi>\n";
    }
    const int control_register_bytes = architecture == TargetArchitecture::kAmd64 ? 8 : 4;
    const auto& registers = layout.registers();
    for (const FeatureText& feature : kFeatures) {
        // A feature gdb knows must come with its registers (an empty
        // org.gnu.gdb.i386.segments makes gdb reject the whole description).
        if (std::none_of(registers.begin(), registers.end(), [&](const PacketRegister& reg) {
                return reg.info.feature == feature.feature;
            })) {
            continue;
        }
        xml += fmt::format("  <feature name=\"{}\">\n", feature.name);
        xml += feature.feature == RegisterFeature::kSystem
                   ? fmt::format(fmt::runtime(feature.types), control_register_bytes)
                   : std::string(feature.types);
        for (size_t number = 0; number < registers.size(); ++number) {
            const RegisterInfo& reg = registers[number].info;
            if (reg.feature != feature.feature) {
                continue;
            }
            // regnum is explicit so the order of the `g` packet is written down, not implied.
            xml += fmt::format("    <reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"",
                               reg.name, reg.bits, reg.type, number);
            if (!reg.group.empty()) {
                xml += fmt::format(" group=\"{}\"", reg.group);
            }
            xml += "/>\n";
        }
        xml += "  </feature>\n";
    }
    xml += "</target>\n";
    return xml;
}

}  // namespace

const std::string& target_description_xml(TargetArchitecture architecture) {
    // In the order of TargetArchitecture.
    static const std::array<std::string, 3> documents = {
        build_description(TargetArchitecture::kAmd64),
        build_description(TargetArchitecture::kI386),
        build_description(TargetArchitecture::kI8086),
    };
    return documents.at(static_cast<size_t>(architecture));
}

}  // namespace berth::gdb
