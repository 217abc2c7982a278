// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {vm} from "../utils/Vm.sol";
import {CidCodecHarness} from "../mocks/CidCodecHarness.sol";

contract CidCodecTest is Test {
    CidCodecHarness internal codec;

    function setUp() public {
        codec = new CidCodecHarness();
    }

    function test_decode_roundTripsRawCid() public view {
        string memory cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
        (bool ok, bytes8 prefix, uint8 len, bytes32 digest) = codec.decode(cid);
        vm.assertTrue(ok);
        vm.assertEq(len, 4);
        vm.assertEq(bytes32(prefix), bytes32(bytes8(0x0155122000000000)));
        vm.assertEq(codec.encode(prefix, len, digest), cid);
    }

    function test_decode_roundTripsDagPbCid() public view {
        string memory cid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
        (bool ok, bytes8 prefix, uint8 len, bytes32 digest) = codec.decode(cid);
        vm.assertTrue(ok);
        vm.assertEq(bytes32(prefix), bytes32(bytes8(0x0170122000000000)));
        vm.assertEq(codec.encode(prefix, len, digest), cid);
    }

    function test_decode_roundTripsJsonCodecCid() public view {
        // codec 0x0200 is a two-byte varint (0x80 0x04): a five-byte header.
        string memory cid = codec.encode(bytes8(0x0180041220000000), 5, keccak256("doc"));
        (bool ok, bytes8 prefix, uint8 len, bytes32 digest) = codec.decode(cid);
        vm.assertTrue(ok);
        vm.assertEq(len, 5);
        vm.assertEq(bytes32(prefix), bytes32(bytes8(0x0180041220000000)));
        vm.assertEq(digest, keccak256("doc"));
        vm.assertEq(bytes(cid).length, 61);
    }

    function testFuzz_encodeDecode_roundTrips(uint64 rawPrefix, uint8 rawLength, bytes32 digest) public view {
        uint8 len = uint8(bound(rawLength, 1, 8));
        bytes8 prefix = bytes8(len == 8 ? rawPrefix : (rawPrefix >> (8 * (8 - len))) << (8 * (8 - len)));
        string memory cid = codec.encode(prefix, len, digest);
        (bool ok, bytes8 p, uint8 l, bytes32 d) = codec.decode(cid);
        vm.assertTrue(ok);
        vm.assertEq(l, len);
        vm.assertEq(bytes32(p), bytes32(prefix));
        vm.assertEq(d, digest);
    }

    function test_decode_rejectsOtherMultibase() public view {
        (bool ok,,,) = codec.decode("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdGAAAAAAAAAAAAAA");
        vm.assertFalse(ok);
    }

    function test_decode_rejectsCharactersOutsideTheAlphabet() public view {
        (bool ok1,,,) = codec.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n1e");
        (bool ok2,,,) = codec.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n8e");
        (bool ok3,,,) = codec.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36nAe");
        vm.assertFalse(ok1);
        vm.assertFalse(ok2);
        vm.assertFalse(ok3);
    }

    function test_decode_rejectsBadLengths() public view {
        (bool short,,,) = codec.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wo");
        (bool long,,,) = codec.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5eaaaaaaaaaa");
        vm.assertFalse(short);
        vm.assertFalse(long);
    }

    function test_decode_rejectsNonZeroPadding() public view {
        // The last character carries two padding bits; 'f' sets one of them.
        (bool ok,,,) = codec.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5f");
        vm.assertFalse(ok);
    }
}
