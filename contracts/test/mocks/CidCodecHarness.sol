// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CidCodec} from "../../src/libraries/CidCodec.sol";

/// @notice Exposes the CidCodec library (which reads calldata) to tests.
contract CidCodecHarness {
    function decode(string calldata cid)
        external
        pure
        returns (bool ok, bytes8 prefix, uint8 prefixLength, bytes32 digest)
    {
        return CidCodec.decode(cid);
    }

    function encode(bytes8 prefix, uint8 prefixLength, bytes32 digest) external pure returns (string memory) {
        return CidCodec.encode(prefix, prefixLength, digest);
    }
}
