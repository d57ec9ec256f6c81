// A classic-BPF interpreter for seccomp programs, so that tests can ask a
// compiled filter what it does with a system call without installing it.
// It runs the instructions seccomp accepts (loads of struct seccomp_data,
// ALU, jumps, returns, the scratch memory) and fails the test on any other.
#pragma once

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

namespace berth::seccomp::testing {

struct Call {
    long number;
    std::array<uint64_t, 6> args{};
    uint32_t arch = AUDIT_ARCH_X86_64;
};

// The program's verdict (SECCOMP_RET_ALLOW, SECCOMP_RET_TRAP, ...), with
// the data bits (SECCOMP_RET_DATA) masked off.
inline uint32_t run_filter(std::span<const sock_filter> program, const Call& call) {
    seccomp_data data{};
    data.nr = static_cast<int>(call.number);
    data.arch = call.arch;
    for (size_t i = 0; i < 6; ++i) {
        data.args[i] = call.args[i];
    }
    uint8_t bytes[sizeof(data)];
    std::memcpy(bytes, &data, sizeof(data));

    uint32_t a = 0;
    uint32_t x = 0;
    std::array<uint32_t, BPF_MEMWORDS> memory{};
    for (size_t pc = 0; pc < program.size(); ++pc) {
        const sock_filter& insn = program[pc];
        const uint16_t code = insn.code;
        const uint32_t k = insn.k;
        switch (BPF_CLASS(code)) {
            case BPF_LD:
                if (code == (BPF_LD | BPF_W | BPF_ABS)) {
                    if (k + 4 > sizeof(bytes) || k % 4 != 0) {
                        ADD_FAILURE() << "load outside seccomp_data at " << k;
                        return 0xffffffff;
                    }
                    std::memcpy(&a, bytes + k, 4);
                } else if (code == (BPF_LD | BPF_IMM)) {
                    a = k;
                } else if (code == (BPF_LD | BPF_MEM)) {
                    a = memory.at(k);
                } else if (code == (BPF_LD | BPF_W | BPF_LEN)) {
                    a = sizeof(bytes);
                } else {
                    ADD_FAILURE() << "unknown load " << code;
                    return 0xffffffff;
                }
                break;
            case BPF_LDX:
                if (code == (BPF_LDX | BPF_IMM)) {
                    x = k;
                } else if (code == (BPF_LDX | BPF_MEM)) {
                    x = memory.at(k);
                } else {
                    ADD_FAILURE() << "unknown ldx " << code;
                    return 0xffffffff;
                }
                break;
            case BPF_ST:
                memory.at(k) = a;
                break;
            case BPF_STX:
                memory.at(k) = x;
                break;
            case BPF_ALU: {
                const uint32_t operand = BPF_SRC(code) == BPF_X ? x : k;
                switch (BPF_OP(code)) {
                    case BPF_ADD:
                        a += operand;
                        break;
                    case BPF_SUB:
                        a -= operand;
                        break;
                    case BPF_AND:
                        a &= operand;
                        break;
                    case BPF_OR:
                        a |= operand;
                        break;
                    case BPF_XOR:
                        a ^= operand;
                        break;
                    case BPF_LSH:
                        a <<= operand;
                        break;
                    case BPF_RSH:
                        a >>= operand;
                        break;
                    case BPF_NEG:
                        a = -a;
                        break;
                    default:
                        ADD_FAILURE() << "unknown alu " << code;
                        return 0xffffffff;
                }
                break;
            }
            case BPF_JMP: {
                if (BPF_OP(code) == BPF_JA) {
                    pc += k;
                    break;
                }
                const uint32_t operand = BPF_SRC(code) == BPF_X ? x : k;
                bool taken = false;
                switch (BPF_OP(code)) {
                    case BPF_JEQ:
                        taken = a == operand;
                        break;
                    case BPF_JGT:
                        taken = a > operand;
                        break;
                    case BPF_JGE:
                        taken = a >= operand;
                        break;
                    case BPF_JSET:
                        taken = (a & operand) != 0;
                        break;
                    default:
                        ADD_FAILURE() << "unknown jump " << code;
                        return 0xffffffff;
                }
                pc += taken ? insn.jt : insn.jf;
                break;
            }
            case BPF_RET:
                return (BPF_RVAL(code) == BPF_A ? a : k) & SECCOMP_RET_ACTION_FULL;
            case BPF_MISC:
                if (BPF_MISCOP(code) == BPF_TAX) {
                    x = a;
                } else {
                    a = x;
                }
                break;
            default:
                ADD_FAILURE() << "unknown instruction class " << code;
                return 0xffffffff;
        }
    }
    ADD_FAILURE() << "the program ran off its end";
    return 0xffffffff;
}

}  // namespace berth::seccomp::testing
