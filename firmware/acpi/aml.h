// A small ACPI Machine Language (AML) byte builder: just enough of the
// grammar of ACPI 6.4 §20.2 to declare named objects, packages, devices and
// simple methods in a DSDT. Each function returns the encoded bytes of one
// term; callers nest them. Functions throw std::invalid_argument on input the
// grammar cannot express (a bad name, a string with a NUL, an over-long package).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace berth::acpi::aml {

using Bytes = std::vector<uint8_t>;

// Opcodes and prefixes (ACPI 6.4 §20.2.3 and §20.3).
inline constexpr uint8_t ZeroOp = 0x00;
inline constexpr uint8_t OneOp = 0x01;
inline constexpr uint8_t NameOp = 0x08;
inline constexpr uint8_t BytePrefix = 0x0a;
inline constexpr uint8_t WordPrefix = 0x0b;
inline constexpr uint8_t DWordPrefix = 0x0c;
inline constexpr uint8_t StringPrefix = 0x0d;
inline constexpr uint8_t QWordPrefix = 0x0e;
inline constexpr uint8_t ScopeOp = 0x10;
inline constexpr uint8_t BufferOp = 0x11;
inline constexpr uint8_t PackageOp = 0x12;
inline constexpr uint8_t MethodOp = 0x14;
inline constexpr uint8_t DualNamePrefix = 0x2e;
inline constexpr uint8_t MultiNamePrefix = 0x2f;
inline constexpr uint8_t ExtOpPrefix = 0x5b;
inline constexpr uint8_t RootChar = 0x5c;          // '\'
inline constexpr uint8_t ParentPrefixChar = 0x5e;  // '^'
inline constexpr uint8_t DeviceOp = 0x82;          // after ExtOpPrefix
inline constexpr uint8_t ReturnOp = 0xa4;

// PkgLength (§20.2.4) for a package whose contents after the PkgLength are
// `body_length` bytes: the encoded value counts the PkgLength bytes too, in
// 1 byte up to 63, then 2, 3 or 4 bytes up to 2^28 - 1.
Bytes pkg_length(uint64_t body_length);

// An integer constant in the smallest encoding (§20.2.3 ComputationalData):
// ZeroOp, OneOp, then Byte/Word/DWord/QWord prefixes. QWord values need a
// definition block of revision 2 or later (64-bit integers).
Bytes integer(uint64_t value);

// A String constant: StringPrefix, ASCII characters 0x01..0x7F, NullChar.
Bytes string(std::string_view text);

// An EISA id such as "PNP0A08" compressed into a 32-bit integer, as ASL's
// EISAID() macro does (ACPI 6.4 §19.6, EISAID): three letters of 5 bits each,
// then four hex digits, stored big-endian.
Bytes eisa_id(std::string_view id);

// A NameString (§20.2.2): optional '\' or '^'s, then dot-separated name
// segments of 1..4 characters (A-Z, 0-9, '_', not starting with a digit);
// shorter segments are padded with '_' as the ASL compiler does ("_S5" is
// "_S5_"). "\\" alone is the root (NullName after the RootChar).
Bytes name_string(std::string_view path);

// Name(path, object): DefName := NameOp NameString DataRefObject.
Bytes name(std::string_view path, const Bytes& object);

// Package(){elements...}: PackageOp PkgLength NumElements PackageElementList.
// At most 255 elements (NumElements is one byte).
Bytes package(const std::vector<Bytes>& elements);

// Scope(path){terms...}: ScopeOp PkgLength NameString TermList.
Bytes scope(std::string_view path, const std::vector<Bytes>& terms);

// Device(path){terms...}: ExtOpPrefix DeviceOp PkgLength NameString TermList.
Bytes device(std::string_view path, const std::vector<Bytes>& terms);

// Method(path, arg_count, serialized){terms...}: MethodOp PkgLength NameString
// MethodFlags TermList. arg_count is 0..7; the sync level is 0.
Bytes method(std::string_view path, uint8_t arg_count, bool serialized,
             const std::vector<Bytes>& terms);

// Return(value): ReturnOp ArgObject.
Bytes return_value(const Bytes& value);

}  // namespace berth::acpi::aml
