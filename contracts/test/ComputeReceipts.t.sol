// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IComputeReceipts} from "../src/interfaces/IComputeReceipts.sol";
import {IDataNFT} from "../src/interfaces/IDataNFT.sol";
import {IAssetFactory} from "../src/interfaces/IAssetFactory.sol";

contract ComputeReceiptsTest is CoveFixture {
    bytes32 internal JOB;
    uint256 internal assetId;
    Datatoken internal dt;
    bytes32 internal orderId;

    function setUp() public override {
        super.setUp();
        JOB = _jobId("job-1");
        (assetId, dt) = _publishDataset();
        _registerProvider();
        orderId = _order(dt, buyer, provider);
    }

    function test_recordJob_storesTheReceipt() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.JobRecorded(
            JOB,
            provider,
            r.outputsHash,
            r.resultCid,
            0,
            r.runtime,
            r.algorithmImageDigest,
            r.algorithmCodeHash,
            r.algorithmHash
        );
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.OrderConsumed(orderId, JOB, assetId, r.datasetContentHashes[0]);
        // Anyone may relay a signed receipt.
        vm.prank(stranger);
        receipts.recordJob(r, sig);

        vm.assertTrue(receipts.exists(JOB));
        vm.assertEq(receipts.providerOf(JOB), provider);
        vm.assertEq(receipts.jobIdOf(orderId), JOB);
        IComputeReceipts.Receipt memory s = receipts.getReceipt(JOB);
        vm.assertEq(keccak256(abi.encode(s)), keccak256(abi.encode(r)));
    }

    function test_recordJob_acceptsOneOrderPerDataset() public {
        (uint256 asset2, Datatoken dt2) = _publishDataset();
        bytes32 order2 = _order(dt2, buyer, provider);
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.orderIds = _pair(orderId, order2);
        r.assetIds = new uint256[](2);
        r.assetIds[0] = assetId;
        r.assetIds[1] = asset2;
        r.datasetContentHashes = _pair(keccak256("a"), keccak256("b"));
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertEq(receipts.jobIdOf(orderId), JOB);
        vm.assertEq(receipts.jobIdOf(order2), JOB);
        vm.assertEq(receipts.getReceipt(JOB).assetIds, r.assetIds);
    }

    function test_recordJob_recordsEveryStatus() public {
        for (uint8 status; status <= uint8(type(IComputeReceipts.JobStatus).max); ++status) {
            bytes32 o = _order(dt, buyer, provider);
            IComputeReceipts.Receipt memory r = _receipt(_jobId(string(abi.encode(100 + status))), o, assetId);
            r.status = status;
            receipts.recordJob(r, _sign(providerKey, r));
            vm.assertEq(receipts.getReceipt(r.jobId).status, status);
        }
    }

    function test_recordJob_recordsEveryRuntime() public {
        for (uint8 runtime; runtime <= uint8(type(IComputeReceipts.JobRuntime).max); ++runtime) {
            bytes32 o = _order(dt, buyer, provider);
            IComputeReceipts.Receipt memory r = _receipt(_jobId(string(abi.encode(200 + runtime))), o, assetId);
            r.runtime = runtime;
            receipts.recordJob(r, _sign(providerKey, r));
            vm.assertEq(receipts.getReceipt(r.jobId).runtime, runtime);
            // Shares the first slot with the signer and status: neither is disturbed by it.
            vm.assertEq(receipts.providerOf(r.jobId), provider);
            vm.assertEq(receipts.getReceipt(r.jobId).status, r.status);
        }
    }

    function test_recordJob_recordsRejectedByOwnerWithoutOutputs() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.status = uint8(IComputeReceipts.JobStatus.RejectedByOwner);
        r.outputsHash = bytes32(0);
        r.resultCid = "";
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertEq(receipts.getReceipt(JOB).status, 7);
        vm.assertEq(receipts.getReceipt(JOB).outputsHash, bytes32(0));
    }

    function test_recordJob_revertsIfJobIdZero() public {
        IComputeReceipts.Receipt memory r = _receipt(bytes32(0), orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidJobId.selector));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfJobExists() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        IComputeReceipts.Receipt memory again = _receipt(JOB, _order(dt, buyer, provider), assetId);
        bytes memory sig = _sign(providerKey, again);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsJobExists.selector, JOB));
        receipts.recordJob(again, sig);
    }

    /// @dev Issue 12: job ids were one global first-come namespace. A stranger registered as a provider, bought an
    /// order of their own and recorded a receipt under the honest provider's job id; the honest receipt then
    /// reverted `JobExists` forever. A job id now carries its signer in its top 20 bytes.
    function test_attack_squatAnotherProvidersJobId() public {
        vm.prank(stranger);
        registry.register("https://squatter.example", keccak256("k"));
        bytes32 strangersOrder = _order(dt, stranger, stranger);
        IComputeReceipts.Receipt memory squat = _receipt(JOB, strangersOrder, assetId);
        bytes memory squatSig = _sign(strangerKey, squat);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsJobIdNotSigners.selector, JOB, stranger));
        receipts.recordJob(squat, squatSig);

        // The honest receipt still lands, under its own id.
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertEq(receipts.providerOf(JOB), provider);
    }

    function testFuzz_recordJob_revertsIfJobIdNamesAnotherAddress(bytes32 jobId) public {
        vm.assume(address(bytes20(jobId)) != provider && jobId != bytes32(0));
        IComputeReceipts.Receipt memory r = _receipt(jobId, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsJobIdNotSigners.selector, jobId, provider)
        );
        receipts.recordJob(r, sig);
    }

    /// @dev Issue 12: expiry was checked only against the provider-signed `startedAt`, so a receipt recorded a year
    /// after the order expired passed. Now it must be recorded within RECORD_WINDOW of the order's expiry, by the
    /// chain's own clock.
    function test_attack_recordAYearAfterTheOrderExpired() public {
        uint64 validUntil = dt.orderInfo(orderId).validUntil;
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.warp(uint256(validUntil) + 365 days);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputeReceipts.ComputeReceiptsRecordedTooLate.selector,
                orderId,
                validUntil,
                uint256(validUntil) + 365 days
            )
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_acceptsAReceiptRecordedWithinTheWindow() public {
        uint64 validUntil = dt.orderInfo(orderId).validUntil;
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.warp(uint256(validUntil) + receipts.RECORD_WINDOW());
        receipts.recordJob(r, sig);
        vm.assertEq(receipts.jobIdOf(orderId), JOB);
    }

    /// @dev Issue 12: a receipt "starting" before the order existed passed.
    function test_attack_jobStartsBeforeTheOrderExisted() public {
        uint64 orderStart = uint64(block.timestamp);
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.startedAt = orderStart - uint64(receipts.CLOCK_TOLERANCE()) - 1;
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputeReceipts.ComputeReceiptsJobBeforeOrder.selector, orderId, orderStart, r.startedAt
            )
        );
        receipts.recordJob(r, sig);
    }

    /// @dev A job cannot have finished after the block that records it (beyond the clock tolerance).
    function test_attack_jobFinishesInTheFuture() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.finishedAt = uint64(block.timestamp + receipts.CLOCK_TOLERANCE() + 1);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputeReceipts.ComputeReceiptsFinishedInFuture.selector, r.finishedAt, block.timestamp
            )
        );
        receipts.recordJob(r, sig);
    }

    /// @dev Issue 12: an order on an algorithm asset was spent as a compute order. Only datasets are computed on.
    function test_attack_spendAnOrderOnAnAlgorithmAsset() public {
        IAssetFactory.PublishParams memory p = _params(100 * ONE);
        p.kind = IDataNFT.AssetKind.Algorithm;
        (uint256 algo, Datatoken algoToken,) = _publish(p);
        bytes32 algoOrder = _order(algoToken, buyer, provider);
        IComputeReceipts.Receipt memory r = _receipt(JOB, algoOrder, algo);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputeReceipts.ComputeReceiptsNotADataset.selector, algo, uint8(IDataNFT.AssetKind.Algorithm)
            )
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfNoDatasets() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.orderIds = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidDatasets.selector, 0, 1, 1));
        receipts.recordJob(r, "");
    }

    function test_recordJob_revertsIfArrayLengthsDiffer() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.datasetContentHashes = new bytes32[](2);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidDatasets.selector, 1, 1, 2));
        receipts.recordJob(r, "");
    }

    function test_recordJob_revertsIfMoreThanMaxDatasets() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.orderIds = new bytes32[](9);
        r.assetIds = new uint256[](9);
        r.datasetContentHashes = new bytes32[](9);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidDatasets.selector, 9, 9, 9));
        receipts.recordJob(r, "");
    }

    function test_recordJob_revertsIfUnknownStatus() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.status = 8;
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidStatus.selector, 8));
        receipts.recordJob(r, "");
    }

    function test_recordJob_revertsIfUnknownRuntime() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.runtime = 3;
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidRuntime.selector, 3));
        receipts.recordJob(r, "");
    }

    function test_recordJob_revertsIfFinishedBeforeStarted() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.finishedAt = r.startedAt - 1;
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidTimes.selector, r.startedAt, r.finishedAt)
        );
        receipts.recordJob(r, "");
    }

    function test_recordJob_revertsIfSignatureMalformed() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidSignature.selector));
        receipts.recordJob(r, hex"1234");
    }

    function test_recordJob_revertsIfSignerUnregistered() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(strangerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, stranger));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfProviderDeregistered() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.prank(provider);
        registry.deregister();
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, provider));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfAnyFieldWasTampered() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        r.outputsHash = keccak256("other outputs");
        address recovered = _recover(r, sig);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_storesTheAlgorithmHash() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.algorithmHash = sha256('{"image":"sha256:aa","codeHash":"0x01"}');
        receipts.recordJob(r, _sign(providerKey, r));
        IComputeReceipts.Receipt memory s = receipts.getReceipt(JOB);
        vm.assertEq(s.algorithmHash, r.algorithmHash);
        // Its own field: not confused with the image digest or the code hash next to it.
        vm.assertEq(s.algorithmImageDigest, r.algorithmImageDigest);
        vm.assertEq(s.algorithmCodeHash, r.algorithmCodeHash);
    }

    function test_recordJob_emitsTheAlgorithmHash() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.algorithmHash = keccak256("another approved spec");
        bytes memory sig = _sign(providerKey, r);
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.JobRecorded(
            JOB,
            provider,
            r.outputsHash,
            r.resultCid,
            r.status,
            r.runtime,
            r.algorithmImageDigest,
            r.algorithmCodeHash,
            keccak256("another approved spec")
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfAlgorithmHashWasTampered() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        r.algorithmHash = sha256("a spec the owner never approved");
        address recovered = _recover(r, sig);
        vm.assertTrue(recovered != provider);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfAlgorithmHashZero() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.algorithmHash = bytes32(0);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidAlgorithmHash.selector));
        receipts.recordJob(r, sig);
        vm.assertFalse(receipts.exists(JOB));
    }

    function testFuzz_hashReceipt_bindsTheAlgorithmHash(bytes32 a, bytes32 b) public view {
        vm.assume(a != b);
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.algorithmHash = a;
        bytes32 ha = receipts.hashReceipt(r);
        r.algorithmHash = b;
        vm.assertTrue(ha != receipts.hashReceipt(r));
    }

    function test_recordJob_cannotBeReplayedForAnotherOrder() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        r.orderIds[0] = _order(dt, buyer, provider);
        address recovered = _recover(r, sig);
        vm.assertTrue(recovered != provider);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_cannotBeReplayedOnAnotherChain() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.chainId(1);
        address recovered = _recover(r, sig);
        vm.assertTrue(recovered != provider);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfOrderUnknown() public {
        bytes32 fake = keccak256("no such order");
        IComputeReceipts.Receipt memory r = _receipt(JOB, fake, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnknownOrder.selector, fake, assetId));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfOrderBelongsToAnotherAsset() public {
        (uint256 other,) = _publishDataset();
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, other);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnknownOrder.selector, orderId, other));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfAssetUnknown() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, 99);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnknownAsset.selector, 99));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfOrderNamesAnotherProvider() public {
        vm.prank(stranger);
        registry.register("https://other.example", keccak256("k"));
        IComputeReceipts.Receipt memory r = _receipt(_jobIdOf(stranger, "job-1"), orderId, assetId);
        bytes memory sig = _sign(strangerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputeReceipts.ComputeReceiptsProviderMismatch.selector, orderId, provider, stranger
            )
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfJobStartedAfterExpiry() public {
        uint64 validUntil = dt.orderInfo(orderId).validUntil;
        vm.warp(validUntil + 1);
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputeReceipts.ComputeReceiptsOrderExpired.selector, orderId, validUntil, validUntil + 1
            )
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfOrderAlreadyUsed() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        IComputeReceipts.Receipt memory second = _receipt(_jobId("job-2"), orderId, assetId);
        bytes memory sig = _sign(providerKey, second);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsOrderAlreadyUsed.selector, orderId, JOB));
        receipts.recordJob(second, sig);
    }

    function test_recordJob_revertsIfTheSameOrderIsListedTwice() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.orderIds = _pair(orderId, orderId);
        r.assetIds = new uint256[](2);
        r.assetIds[0] = assetId;
        r.assetIds[1] = assetId;
        r.datasetContentHashes = _pair(keccak256("a"), keccak256("a"));
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsOrderAlreadyUsed.selector, orderId, JOB));
        receipts.recordJob(r, sig);
    }

    function test_getReceipt_unknownIsEmpty() public view {
        IComputeReceipts.Receipt memory r = receipts.getReceipt(JOB);
        vm.assertEq(r.jobId, bytes32(0));
        vm.assertEq(r.orderIds.length, 0);
        vm.assertFalse(receipts.exists(JOB));
        vm.assertEq(receipts.providerOf(JOB), address(0));
        vm.assertEq(receipts.jobIdOf(orderId), bytes32(0));
    }

    function test_hashReceipt_followsEip712() public view {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Cove ComputeReceipts"),
                keccak256("1"),
                block.chainid,
                address(receipts)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                receipts.RECEIPT_TYPEHASH(),
                r.jobId,
                keccak256(abi.encodePacked(r.orderIds)),
                keccak256(abi.encodePacked(r.assetIds)),
                keccak256(abi.encodePacked(r.datasetContentHashes)),
                r.algorithmImageDigest,
                r.algorithmCodeHash,
                r.algorithmHash,
                r.outputsHash,
                keccak256(bytes(r.resultCid)),
                r.status,
                r.runtime,
                r.startedAt,
                r.finishedAt
            )
        );
        vm.assertEq(receipts.hashReceipt(r), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        // The type string the SDK signs with (sdk/src/contracts RECEIPT_EIP712_TYPES), field for field.
        vm.assertEq(
            receipts.RECEIPT_TYPEHASH(),
            keccak256(
                "Receipt(bytes32 jobId,bytes32[] orderIds,uint256[] assetIds,bytes32[] datasetContentHashes,"
                "bytes32 algorithmImageDigest,bytes32 algorithmCodeHash,bytes32 algorithmHash,bytes32 outputsHash,"
                "string resultCid,uint8 status,uint8 runtime,uint64 startedAt,uint64 finishedAt)"
            )
        );
        vm.assertEq(receipts.MAX_DATASETS(), 8);
        vm.assertEq(receipts.providerRegistry(), address(registry));
        vm.assertEq(receipts.dataNFT(), address(dataNFT));
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](2);
        out[0] = a;
        out[1] = b;
    }

    function _recover(IComputeReceipts.Receipt memory r, bytes memory sig) internal view returns (address) {
        bytes32 rr;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            rr := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return ecrecover(receipts.hashReceipt(r), v, rr, s);
    }
}
