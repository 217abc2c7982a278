// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title CIDv1 base32 codec
/// @notice Converts a CIDv1 string in multibase base32 lower case (`b` + RFC 4648 alphabet, no padding) to a compact
/// binary form and back. Storing the binary CID (a header of up to 8 bytes + a 32-byte digest) takes two storage
/// slots instead of three for the 59-character string, and the re-encoded string is identical to a canonical input.
library CidCodec {
    /// @notice Largest accepted CID header (version, codec and multihash code/length varints).
    uint256 internal constant MAX_PREFIX_LENGTH = 8;

    bytes private constant _ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

    /// @notice Decodes `cid`; `ok` is false when it is not canonical base32 of 33..40 bytes.
    /// @return ok Whether `cid` decoded.
    /// @return prefix The header bytes, left-aligned.
    /// @return prefixLength Number of header bytes (1..8).
    /// @return digest The trailing 32 bytes (the multihash digest).
    function decode(string calldata cid)
        internal
        pure
        returns (bool ok, bytes8 prefix, uint8 prefixLength, bytes32 digest)
    {
        bytes calldata s = bytes(cid);
        // 33..40 binary bytes take 54..65 base32 characters plus the multibase prefix.
        if (s.length < 54 || s.length > 65 || s[0] != "b") return (false, 0, 0, 0);
        uint256 total = ((s.length - 1) * 5) / 8;
        if (total < 33 || total > 32 + MAX_PREFIX_LENGTH) return (false, 0, 0, 0);
        // forge-lint: disable-next-line(unsafe-typecast)
        prefixLength = uint8(total - 32);

        // Accumulate the 5-bit digits as one number of up to 320 bits in (hi, lo); then drop the `pad` zero bits that
        // complete the last character. At most 64 digits, so hi never exceeds 64 bits.
        uint256 hi;
        uint256 lo;
        bool bad;
        assembly ("memory-safe") {
            let end := add(s.offset, s.length)
            for { let p := add(s.offset, 1) } lt(p, end) { p := add(p, 1) } {
                let c := byte(0, calldataload(p))
                // 'a'..'z' -> 0..25; anything below 'a' wraps to a huge value.
                let v := sub(c, 0x61)
                if gt(v, 25) {
                    // '2'..'7' -> 26..31.
                    v := sub(c, 0x18)
                    bad := or(bad, or(lt(c, 0x32), gt(c, 0x37)))
                }
                hi := or(shl(5, hi), shr(251, lo))
                lo := or(shl(5, lo), v)
            }
        }
        uint256 pad = (s.length - 1) * 5 - total * 8;
        // Non-zero padding bits (or a whole spare character) would not re-encode to the same string.
        if (bad || pad >= 5 || lo & ((uint256(1) << pad) - 1) != 0) return (false, 0, 0, 0);
        uint256 head = hi >> pad;
        uint256 tail = (lo >> pad) | (pad == 0 ? 0 : hi << (256 - pad));
        // forge-lint: disable-next-line(unsafe-typecast)
        prefix = bytes8(uint64(head << (8 * (MAX_PREFIX_LENGTH - prefixLength))));
        return (true, prefix, prefixLength, bytes32(tail));
    }

    /// @notice Encodes a binary CID (header + 32-byte digest) as `b` + base32 lower case.
    function encode(bytes8 prefix, uint8 prefixLength, bytes32 digest) internal pure returns (string memory) {
        bytes memory data = bytes.concat(prefix, digest);
        uint256 length = uint256(prefixLength) + 32;
        // Remove the unused tail of the 8-byte header slot.
        if (prefixLength < MAX_PREFIX_LENGTH) {
            bytes memory packed = new bytes(length);
            for (uint256 i; i < prefixLength; ++i) {
                packed[i] = data[i];
            }
            for (uint256 i; i < 32; ++i) {
                packed[prefixLength + i] = data[MAX_PREFIX_LENGTH + i];
            }
            data = packed;
        }
        bytes memory out = new bytes(1 + (length * 8 + 4) / 5);
        out[0] = "b";
        uint256 buffer;
        uint256 bits;
        uint256 o = 1;
        // At most 40 input bytes; no counter can overflow.
        unchecked {
            for (uint256 i; i < length; ++i) {
                buffer = (buffer << 8) | uint8(data[i]);
                bits += 8;
                while (bits >= 5) {
                    bits -= 5;
                    out[o++] = _ALPHABET[(buffer >> bits) & 31];
                }
                buffer &= (uint256(1) << bits) - 1;
            }
            if (bits > 0) out[o] = _ALPHABET[(buffer << (5 - bits)) & 31];
        }
        return string(out);
    }
}
