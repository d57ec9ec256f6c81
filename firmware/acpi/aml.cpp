#include "firmware/acpi/aml.h"

#include <stdexcept>
#include <string>

namespace berth::acpi::aml {
namespace {

void append(Bytes& out, const Bytes& more) {
    out.insert(out.end(), more.begin(), more.end());
}

void append_le(Bytes& out, uint64_t value, int byte_count) {
    for (int i = 0; i < byte_count; ++i) {
        out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    }
}

bool is_lead_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
    return is_lead_name_char(c) || (c >= '0' && c <= '9');
}

// One NameSeg: four characters, padded with '_'.
void append_name_seg(Bytes& out, std::string_view seg, std::string_view path) {
    if (seg.empty() || seg.size() > 4 || !is_lead_name_char(seg[0])) {
        throw std::invalid_argument("bad AML name segment in \"" + std::string(path) + "\"");
    }
    for (char c : seg) {
        if (!is_name_char(c)) {
            throw std::invalid_argument("bad AML name character in \"" + std::string(path) + "\"");
        }
        out.push_back(static_cast<uint8_t>(c));
    }
    for (size_t i = seg.size(); i < 4; ++i) {
        out.push_back('_');
    }
}

// Opcode(s), PkgLength, then `body`: the shape of every package-style term.
Bytes with_pkg_length(const Bytes& opcodes, const Bytes& body) {
    Bytes out = opcodes;
    append(out, pkg_length(body.size()));
    append(out, body);
    return out;
}

Bytes name_and_terms(std::string_view path, const std::vector<Bytes>& terms) {
    Bytes body = name_string(path);
    for (const auto& term : terms) {
        append(body, term);
    }
    return body;
}

}  // namespace

Bytes pkg_length(uint64_t body_length) {
    // The encoded length includes the PkgLength bytes themselves, so the
    // encoding size is the smallest n whose limit holds body_length + n.
    constexpr uint64_t kLimits[] = {0x3f, 0xfff, 0xf'ffff, 0xfff'ffff};
    for (int n = 1; n <= 4; ++n) {
        uint64_t total = 0;
        if (__builtin_add_overflow(body_length, static_cast<uint64_t>(n), &total)) {
            break;
        }
        if (total > kLimits[n - 1]) {
            continue;
        }
        if (n == 1) {
            return {static_cast<uint8_t>(total)};
        }
        // Lead byte: bits 7:6 = number of following bytes, bits 3:0 = the
        // length's low nibble; following bytes hold the rest, low first.
        Bytes out{static_cast<uint8_t>(((n - 1) << 6) | (total & 0x0f))};
        append_le(out, total >> 4, n - 1);
        return out;
    }
    throw std::invalid_argument("AML package longer than PkgLength can encode (2^28 - 1 bytes)");
}

Bytes integer(uint64_t value) {
    if (value == 0) {
        return {ZeroOp};
    }
    if (value == 1) {
        return {OneOp};
    }
    Bytes out;
    if (value <= UINT8_MAX) {
        out.push_back(BytePrefix);
        append_le(out, value, 1);
    } else if (value <= UINT16_MAX) {
        out.push_back(WordPrefix);
        append_le(out, value, 2);
    } else if (value <= UINT32_MAX) {
        out.push_back(DWordPrefix);
        append_le(out, value, 4);
    } else {
        out.push_back(QWordPrefix);
        append_le(out, value, 8);
    }
    return out;
}

Bytes string(std::string_view text) {
    Bytes out{StringPrefix};
    for (char c : text) {
        const auto byte = static_cast<uint8_t>(c);
        if (byte == 0 || byte > 0x7f) {
            throw std::invalid_argument("AML strings hold ASCII characters 0x01..0x7F only");
        }
        out.push_back(byte);
    }
    out.push_back(0);  // NullChar
    return out;
}

Bytes eisa_id(std::string_view id) {
    auto hex = [&](char c) -> uint32_t {
        if (c >= '0' && c <= '9') {
            return static_cast<uint32_t>(c - '0');
        }
        if (c >= 'A' && c <= 'F') {
            return static_cast<uint32_t>(c - 'A' + 10);
        }
        throw std::invalid_argument("bad hex digit in EISA id \"" + std::string(id) + "\"");
    };
    if (id.size() != 7) {
        throw std::invalid_argument("EISA id must be 3 letters and 4 hex digits");
    }
    uint32_t letters = 0;
    for (int i = 0; i < 3; ++i) {
        if (id[i] < 'A' || id[i] > 'Z') {
            throw std::invalid_argument("bad letter in EISA id \"" + std::string(id) + "\"");
        }
        letters = (letters << 5) | static_cast<uint32_t>(id[i] - 'A' + 1);
    }
    const uint32_t digits = (hex(id[3]) << 12) | (hex(id[4]) << 8) | (hex(id[5]) << 4) | hex(id[6]);
    // The id is stored big-endian in memory (letters, then digits), while an
    // AML DWord is little-endian, hence the byte swaps.
    const uint32_t value =
        static_cast<uint32_t>(__builtin_bswap16(static_cast<uint16_t>(letters))) |
        static_cast<uint32_t>(__builtin_bswap16(static_cast<uint16_t>(digits))) << 16;
    return integer(value);
}

Bytes name_string(std::string_view path) {
    Bytes out;
    std::string_view rest = path;
    if (!rest.empty() && rest[0] == '\\') {
        out.push_back(RootChar);
        rest.remove_prefix(1);
    } else {
        while (!rest.empty() && rest[0] == '^') {
            out.push_back(ParentPrefixChar);
            rest.remove_prefix(1);
        }
    }
    std::vector<std::string_view> segs;
    while (!rest.empty()) {
        const size_t dot = rest.find('.');
        segs.push_back(rest.substr(0, dot));
        if (dot == std::string_view::npos) {
            rest = {};
        } else {
            rest.remove_prefix(dot + 1);
            if (rest.empty()) {
                throw std::invalid_argument("AML name ends with '.': \"" + std::string(path) +
                                            "\"");
            }
        }
    }
    if (segs.empty()) {
        if (out.empty()) {
            throw std::invalid_argument("empty AML name");
        }
        out.push_back(0);  // NullName
        return out;
    }
    if (segs.size() == 2) {
        out.push_back(DualNamePrefix);
    } else if (segs.size() > 2) {
        if (segs.size() > UINT8_MAX) {
            throw std::invalid_argument("AML name has too many segments");
        }
        out.push_back(MultiNamePrefix);
        out.push_back(static_cast<uint8_t>(segs.size()));
    }
    for (auto seg : segs) {
        append_name_seg(out, seg, path);
    }
    return out;
}

Bytes name(std::string_view path, const Bytes& object) {
    Bytes out{NameOp};
    append(out, name_string(path));
    append(out, object);
    return out;
}

Bytes package(const std::vector<Bytes>& elements) {
    if (elements.size() > UINT8_MAX) {
        throw std::invalid_argument("AML Package() holds at most 255 elements");
    }
    Bytes body{static_cast<uint8_t>(elements.size())};  // NumElements
    for (const auto& element : elements) {
        append(body, element);
    }
    return with_pkg_length({PackageOp}, body);
}

Bytes scope(std::string_view path, const std::vector<Bytes>& terms) {
    return with_pkg_length({ScopeOp}, name_and_terms(path, terms));
}

Bytes device(std::string_view path, const std::vector<Bytes>& terms) {
    return with_pkg_length({ExtOpPrefix, DeviceOp}, name_and_terms(path, terms));
}

Bytes method(std::string_view path, uint8_t arg_count, bool serialized,
             const std::vector<Bytes>& terms) {
    if (arg_count > 7) {
        throw std::invalid_argument("AML methods take at most 7 arguments");
    }
    Bytes body = name_string(path);
    // MethodFlags: bits 2:0 ArgCount, bit 3 SerializeFlag, bits 7:4 SyncLevel.
    body.push_back(static_cast<uint8_t>(arg_count | (serialized ? 0x08 : 0x00)));
    for (const auto& term : terms) {
        append(body, term);
    }
    return with_pkg_length({MethodOp}, body);
}

Bytes return_value(const Bytes& value) {
    Bytes out{ReturnOp};
    append(out, value);
    return out;
}

}  // namespace berth::acpi::aml
