// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IComputeReceipts} from "../src/interfaces/IComputeReceipts.sol";
import {IDataNFT} from "../src/interfaces/IDataNFT.sol";
import {IAssetFactory} from "../src/interfaces/IAssetFactory.sol";
import {ComputeReceipts} from "../src/ComputeReceipts.sol";
import {Merkle} from "./utils/Merkle.sol";

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

    function test_recordJob_recordsABatchOfOne() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        bytes32 root = _leafOf(r);
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.BatchRecorded(root, provider, 1);
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.OrderConsumed(orderId, JOB, assetId, r.datasetContentHashes[0]);
        _expectJobRecorded(r, root);
        // Anyone may relay a signed receipt.
        vm.prank(stranger);
        receipts.recordJob(r, sig);

        // One slot for the batch (signer, block, count); the order is spent in place on the datatoken.
        IComputeReceipts.Batch memory b = receipts.batchOf(root);
        vm.assertEq(b.provider, provider);
        vm.assertEq(uint256(b.blockNumber), block.number);
        vm.assertEq(uint256(b.count), 1);
        vm.assertTrue(dt.orderInfo(orderId).spent);
        vm.assertTrue(receipts.isRecorded(_proofOne(r)));
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
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.OrderConsumed(orderId, JOB, assetId, keccak256("a"));
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.OrderConsumed(order2, JOB, asset2, keccak256("b"));
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertTrue(dt.orderInfo(orderId).spent);
        vm.assertTrue(dt2.orderInfo(order2).spent);
        vm.assertTrue(receipts.isRecorded(_proofOne(r)));
    }

    function test_recordJob_recordsEveryStatus() public {
        for (uint8 status; status <= uint8(type(IComputeReceipts.JobStatus).max); ++status) {
            bytes32 o = _order(dt, buyer, provider);
            IComputeReceipts.Receipt memory r = _receipt(_jobId(string(abi.encode(100 + status))), o, assetId);
            r.status = status;
            _expectJobRecorded(r, _leafOf(r));
            receipts.recordJob(r, _sign(providerKey, r));
            // The status is in the leaf: the proof holds with it and with no other.
            IComputeReceipts.JobProof memory p = _proofOne(r);
            vm.assertTrue(receipts.isRecorded(p));
            p.status = status == 0 ? 1 : 0;
            vm.assertFalse(receipts.isRecorded(p));
        }
    }

    function test_recordJob_recordsEveryRuntime() public {
        for (uint8 runtime; runtime <= uint8(type(IComputeReceipts.JobRuntime).max); ++runtime) {
            bytes32 o = _order(dt, buyer, provider);
            IComputeReceipts.Receipt memory r = _receipt(_jobId(string(abi.encode(200 + runtime))), o, assetId);
            r.runtime = runtime;
            _expectJobRecorded(r, _leafOf(r));
            receipts.recordJob(r, _sign(providerKey, r));
            vm.assertEq(receipts.batchOf(_leafOf(r)).provider, provider);
        }
    }

    function test_recordJob_recordsRejectedByOwnerWithoutOutputs() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.status = uint8(IComputeReceipts.JobStatus.RejectedByOwner);
        r.outputsHash = bytes32(0);
        r.resultCid = "";
        _expectJobRecorded(r, _leafOf(r));
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertTrue(receipts.isRecorded(_proofOne(r)));
    }

    function test_recordJob_revertsIfJobIdZero() public {
        IComputeReceipts.Receipt memory r = _receipt(bytes32(0), orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidJobId.selector));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfConsumerZero() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.consumer = address(0);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidConsumer.selector));
        receipts.recordJob(r, sig);
    }

    /// @dev The same signed receipt submitted twice: its batch exists (and its order is spent), so nothing changes.
    function test_recordJob_revertsIfTheSameReceiptIsRecordedTwice() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        receipts.recordJob(r, sig);
        uint256 recordedIn = block.number;
        vm.roll(block.number + 5);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsBatchExists.selector, _leafOf(r)));
        receipts.recordJob(r, sig);
        vm.assertEq(uint256(receipts.batchOf(_leafOf(r)).blockNumber), recordedIn);
    }

    /// @dev Issue 12: job ids were one global first-come namespace. A stranger registered as a provider, bought an
    /// order of their own and recorded a receipt under the honest provider's job id; the honest receipt then
    /// reverted `JobExists` forever. A job id now carries its signer in its top 20 bytes.
    function test_attack_squatAnotherProvidersJobId() public {
        vm.prank(stranger);
        registry.register("https://squatter.example", keccak256("k"), "");
        bytes32 strangersOrder = _order(dt, stranger, stranger);
        IComputeReceipts.Receipt memory squat = _receipt(JOB, strangersOrder, assetId);
        bytes memory squatSig = _sign(strangerKey, squat);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsJobIdNotSigners.selector, JOB, stranger));
        receipts.recordJob(squat, squatSig);
        vm.assertFalse(dt.orderInfo(strangersOrder).spent);

        // The honest receipt still lands, under its own id.
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertEq(receipts.batchOf(_leafOf(r)).provider, provider);
    }

    /// @dev The squat inside a batch: one receipt under another provider's id sinks the whole batch.
    function test_attack_squatAnotherProvidersJobIdInABatch() public {
        vm.prank(stranger);
        registry.register("https://squatter.example", keccak256("k"), "");
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](2);
        rs[0] = _receipt(_jobIdOf(stranger, "own"), _order(dt, stranger, stranger), assetId);
        rs[1] = _receipt(JOB, _order(dt, stranger, stranger), assetId);
        bytes memory sig = _signBatch(strangerKey, rs);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsJobIdNotSigners.selector, JOB, stranger));
        receipts.recordBatch(rs, sig);
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
        vm.assertTrue(dt.orderInfo(orderId).spent);
    }

    function test_recordJob_revertsOneSecondPastTheWindow() public {
        uint64 validUntil = dt.orderInfo(orderId).validUntil;
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        uint256 late = uint256(validUntil) + receipts.RECORD_WINDOW() + 1;
        vm.warp(late);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsRecordedTooLate.selector, orderId, validUntil, late)
        );
        receipts.recordJob(r, sig);
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

    /// @dev "At job time": the signed start may sit up to CLOCK_TOLERANCE before the order's block time.
    function test_recordJob_acceptsAStartWithinTheClockTolerance() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.startedAt = uint64(block.timestamp - receipts.CLOCK_TOLERANCE());
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertTrue(dt.orderInfo(orderId).spent);
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
        vm.assertFalse(algoToken.orderInfo(algoOrder).spent);
    }

    /// @dev Issue 12: an order for an access (download) service was spent by a job receipt, as if it had paid for
    /// compute. Only orders of the asset's compute services are spent by jobs.
    function test_attack_spendAnAccessOrderAsAComputeOrder() public {
        vm.prank(publisher);
        dt.transfer(buyer, ONE);
        vm.prank(buyer);
        bytes32 accessOrder = dt.startOrder(consumer, 1, provider);
        IComputeReceipts.Receipt memory r = _receipt(JOB, accessOrder, assetId);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsNotAComputeOrder.selector, accessOrder, 1)
        );
        receipts.recordJob(r, sig);
        vm.assertFalse(dt.orderInfo(accessOrder).spent);
    }

    function test_recordJob_revertsIfNoDatasets() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.orderIds = new bytes32[](0);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidDatasets.selector, 0, 1, 1));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfArrayLengthsDiffer() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.datasetContentHashes = new bytes32[](2);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidDatasets.selector, 1, 1, 2));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfMoreThanMaxDatasets() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.orderIds = new bytes32[](9);
        r.assetIds = new uint256[](9);
        r.datasetContentHashes = new bytes32[](9);
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidDatasets.selector, 9, 9, 9));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfUnknownStatus() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.status = 8;
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidStatus.selector, 8));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfUnknownRuntime() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.runtime = 3;
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidRuntime.selector, 3));
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfFinishedBeforeStarted() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.finishedAt = r.startedAt - 1;
        bytes memory sig = _sign(providerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidTimes.selector, r.startedAt, r.finishedAt)
        );
        receipts.recordJob(r, sig);
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
        address recovered = _recover(_leafOf(r), 1, sig);
        vm.assertTrue(recovered != provider);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfTheConsumerWasTampered() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        r.consumer = stranger;
        address recovered = _recover(_leafOf(r), 1, sig);
        vm.assertTrue(recovered != provider);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_emitsTheAlgorithmHash() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        r.algorithmHash = keccak256("another approved spec");
        bytes memory sig = _sign(providerKey, r);
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.JobRecorded(
            JOB,
            _leafOf(r),
            consumer,
            r.outputsHash,
            r.resultCid,
            r.status,
            r.runtime,
            r.algorithmImageDigest,
            r.algorithmCodeHash,
            keccak256("another approved spec"),
            r.startedAt,
            r.finishedAt
        );
        receipts.recordJob(r, sig);
    }

    function test_recordJob_revertsIfAlgorithmHashWasTampered() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes memory sig = _sign(providerKey, r);
        r.algorithmHash = sha256("a spec the owner never approved");
        address recovered = _recover(_leafOf(r), 1, sig);
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
        vm.assertEq(receipts.batchOf(_leafOf(r)).provider, address(0));
        vm.assertFalse(dt.orderInfo(orderId).spent);
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
        address recovered = _recover(_leafOf(r), 1, sig);
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
        address recovered = _recover(_leafOf(r), 1, sig);
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
        registry.register("https://other.example", keccak256("k"), "");
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

    /// @dev "At job time" at its edge: a job that started at the second the order expires is accepted.
    function test_recordJob_acceptsAJobStartedAtExpiry() public {
        uint64 validUntil = dt.orderInfo(orderId).validUntil;
        vm.warp(validUntil);
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        vm.assertTrue(dt.orderInfo(orderId).spent);
    }

    function test_recordJob_revertsIfOrderAlreadyUsed() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        IComputeReceipts.Receipt memory second = _receipt(_jobId("job-2"), orderId, assetId);
        bytes memory sig = _sign(providerKey, second);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsOrderAlreadyUsed.selector, orderId));
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
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsOrderAlreadyUsed.selector, orderId));
        receipts.recordJob(r, sig);
    }

    function test_batchOf_unknownIsEmpty() public view {
        IComputeReceipts.Batch memory b = receipts.batchOf(keccak256("no such root"));
        vm.assertEq(b.provider, address(0));
        vm.assertEq(uint256(b.blockNumber), 0);
        vm.assertEq(uint256(b.count), 0);
        vm.assertFalse(dt.orderInfo(orderId).spent);
    }

    function test_hashReceipt_followsEip712() public view {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes32 structHash = keccak256(
            bytes.concat(
                abi.encode(
                    receipts.RECEIPT_TYPEHASH(),
                    r.jobId,
                    r.consumer,
                    keccak256(abi.encodePacked(r.orderIds)),
                    keccak256(abi.encodePacked(r.assetIds)),
                    keccak256(abi.encodePacked(r.datasetContentHashes)),
                    r.algorithmImageDigest,
                    r.algorithmCodeHash,
                    r.algorithmHash
                ),
                abi.encode(r.outputsHash, keccak256(bytes(r.resultCid)), r.status, r.runtime, r.startedAt, r.finishedAt)
            )
        );
        vm.assertEq(receipts.hashReceipt(r), structHash);
        // The type string the SDK signs with (sdk/src/contracts RECEIPT_EIP712_TYPES), field for field.
        vm.assertEq(
            receipts.RECEIPT_TYPEHASH(),
            keccak256(
                "Receipt(bytes32 jobId,address consumer,bytes32[] orderIds,uint256[] assetIds,"
                "bytes32[] datasetContentHashes,bytes32 algorithmImageDigest,bytes32 algorithmCodeHash,"
                "bytes32 algorithmHash,bytes32 outputsHash,string resultCid,uint8 status,uint8 runtime,"
                "uint64 startedAt,uint64 finishedAt)"
            )
        );
        vm.assertEq(receipts.MAX_DATASETS(), 8);
        vm.assertEq(receipts.MAX_BATCH(), 256);
        vm.assertEq(receipts.RECORD_WINDOW(), 7 days);
        vm.assertEq(receipts.CLOCK_TOLERANCE(), 15 minutes);
        vm.assertEq(receipts.providerRegistry(), address(registry));
        vm.assertEq(receipts.dataNFT(), address(dataNFT));
    }

    function test_hashBatch_followsEip712() public view {
        bytes32 root = keccak256("root");
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Cove ComputeReceipts"),
                keccak256("2"),
                block.chainid,
                address(receipts)
            )
        );
        vm.assertEq(receipts.BATCH_TYPEHASH(), keccak256("ReceiptBatch(bytes32 root,uint256 count)"));
        bytes32 structHash = keccak256(abi.encode(receipts.BATCH_TYPEHASH(), root, uint256(7)));
        vm.assertEq(receipts.hashBatch(root, 7), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
    }

    function test_leafOf_isTheLeafOfItsParts() public view {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        bytes32 expected = keccak256(abi.encode(receipts.hashReceipt(r), r.jobId, r.consumer, r.status));
        vm.assertEq(receipts.leafOf(r), expected);
        vm.assertEq(receipts.leafHash(receipts.hashReceipt(r), r.jobId, r.consumer, r.status), expected);
        vm.assertEq(_leafOf(r), expected);
    }

    function test_deploymentBlock_isTheBlockOfDeployment() public {
        vm.assertEq(receipts.deploymentBlock(), block.number);
        vm.roll(12_345);
        ComputeReceipts later = new ComputeReceipts(address(registry), address(dataNFT));
        vm.assertEq(later.deploymentBlock(), 12_345);
        vm.roll(12_400);
        vm.assertEq(later.deploymentBlock(), 12_345);
    }

    // ------------------------------------------------------------ batches

    function test_recordBatch_ofTwo() public {
        _recordsAll(2, 1);
    }

    function test_recordBatch_ofThree_oddLastNodeCarriedUp() public {
        _recordsAll(3, 1);
    }

    function test_recordBatch_ofTen() public {
        _recordsAll(10, 1);
    }

    function test_recordBatch_ofAHundred() public {
        _recordsAll(100, 1);
    }

    /// @dev Proofs checked for every 15th receipt and the last: building them all would exhaust test memory.
    function test_recordBatch_ofTheMaximum() public {
        _recordsAll(256, 15);
    }

    function testFuzz_recordBatch_everyReceiptIsProvable(uint256 rawSize, uint256 rawIndex) public {
        uint256 n = bound(rawSize, 1, 12);
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, n, "fuzz");
        receipts.recordBatch(rs, _signBatch(providerKey, rs));
        uint256 index = bound(rawIndex, 0, n - 1);
        IComputeReceipts.JobProof memory p = _proofOf(rs, index);
        vm.assertTrue(receipts.isRecorded(p));
        vm.assertEq(Merkle.process(_leafOf(rs[index]), p.proof), p.root);
        // Another receipt's leaf does not pass with this path (unless the tree puts both in the same place).
        if (n > 1) {
            p.receiptHash = receipts.hashReceipt(rs[(index + 1) % n]);
            p.jobId = rs[(index + 1) % n].jobId;
            vm.assertFalse(receipts.isRecorded(p));
        }
    }

    function test_recordBatch_revertsIfEmpty() public {
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](0);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidBatchSize.selector, 0));
        receipts.recordBatch(rs, "");
    }

    function test_recordBatch_revertsIfOverTheMaximum() public {
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](257);
        for (uint256 i; i < rs.length; ++i) {
            rs[i] = _receipt(_jobId(string(abi.encode(i))), orderId, assetId);
        }
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsInvalidBatchSize.selector, 257));
        receipts.recordBatch(rs, "");
    }

    /// @dev One bad receipt (the third names an access order) sinks the batch: no batch, no order spent.
    function test_recordBatch_oneBadReceiptRevertsTheWholeBatch() public {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 4, "bad");
        vm.prank(publisher);
        bytes32 accessOrder = t.startOrder(consumer, 1, provider);
        rs[2] = _receipt(_jobId("access"), accessOrder, a);
        bytes memory sig = _signBatch(providerKey, rs);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsNotAComputeOrder.selector, accessOrder, 1)
        );
        receipts.recordBatch(rs, sig);
        vm.assertEq(receipts.batchOf(Merkle.root(_leaves(rs))).provider, address(0));
        for (uint256 i; i < rs.length; ++i) {
            vm.assertFalse(t.orderInfo(rs[i].orderIds[0]).spent, "a receipt of a reverted batch spent its order");
        }
    }

    /// @dev Two receipts of one batch spending the same order: the second finds it spent.
    function test_recordBatch_revertsIfTwoReceiptsSpendOneOrder() public {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 3, "twice");
        rs[2].orderIds[0] = rs[0].orderIds[0];
        bytes memory sig = _signBatch(providerKey, rs);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsOrderAlreadyUsed.selector, rs[0].orderIds[0])
        );
        receipts.recordBatch(rs, sig);
        vm.assertFalse(t.orderInfo(rs[0].orderIds[0]).spent);
    }

    function test_recordBatch_revertsIfSignedByAnUnregisteredKey() public {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 3, "forged");
        bytes memory sig = _signBatch(strangerKey, rs);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, stranger));
        receipts.recordBatch(rs, sig);
    }

    /// @dev Another registered provider signs the honest provider's batch: the job ids and the orders are not theirs.
    function test_recordBatch_revertsIfSignedByAnotherProvider() public {
        vm.prank(stranger);
        registry.register("https://other.example", keccak256("k"), "");
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 3, "other");
        bytes memory sig = _signBatch(strangerKey, rs);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsJobIdNotSigners.selector, rs[0].jobId, stranger)
        );
        receipts.recordBatch(rs, sig);
    }

    /// @dev A signature is over (root, count): the receipts reordered, one dropped, or the count of another batch
    /// recover to someone else.
    function test_recordBatch_revertsIfTheSignatureIsForAnotherBatch() public {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 3, "sig");
        bytes memory sig = _signBatch(providerKey, rs);

        IComputeReceipts.Receipt[] memory reordered = new IComputeReceipts.Receipt[](3);
        (reordered[0], reordered[1], reordered[2]) = (rs[2], rs[0], rs[1]);
        address recovered = _recover(Merkle.root(_leaves(reordered)), 3, sig);
        vm.assertTrue(recovered != provider);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordBatch(reordered, sig);

        IComputeReceipts.Receipt[] memory two = new IComputeReceipts.Receipt[](2);
        (two[0], two[1]) = (rs[0], rs[1]);
        recovered = _recover(Merkle.root(_leaves(two)), 2, sig);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordBatch(two, sig);

        // The right root signed with the wrong count.
        bytes memory wrongCount = _signRoot(providerKey, Merkle.root(_leaves(rs)), 4);
        recovered = _recover(Merkle.root(_leaves(rs)), 3, wrongCount);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsUnregisteredProvider.selector, recovered)
        );
        receipts.recordBatch(rs, wrongCount);

        receipts.recordBatch(rs, sig);
        vm.assertEq(uint256(receipts.batchOf(Merkle.root(_leaves(rs))).count), 3);
    }

    /// @dev A batch of one through `recordBatch` is the same batch as through `recordJob`: one cannot follow the
    /// other.
    function test_recordBatch_ofOneIsRecordJob() public {
        IComputeReceipts.Receipt memory r = _receipt(JOB, orderId, assetId);
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](1);
        rs[0] = r;
        bytes memory sig = _sign(providerKey, r);
        receipts.recordBatch(rs, sig);
        vm.expectRevert(abi.encodeWithSelector(IComputeReceipts.ComputeReceiptsBatchExists.selector, _leafOf(r)));
        receipts.recordJob(r, sig);
    }

    // ------------------------------------------------------------ isRecorded

    function test_isRecorded_acceptsTheRightProofAndNoOther() public {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 5, "proofs");
        rs[3].status = uint8(IComputeReceipts.JobStatus.Failed);
        receipts.recordBatch(rs, _signBatch(providerKey, rs));
        for (uint256 i; i < rs.length; ++i) {
            vm.assertTrue(receipts.isRecorded(_proofOf(rs, i)));
        }

        // Wrong index: leaf 1 with leaf 0's path.
        IComputeReceipts.JobProof memory p = _proofOf(rs, 1);
        p.proof = _proofOf(rs, 0).proof;
        vm.assertFalse(receipts.isRecorded(p), "wrong index");

        // Wrong status: the failed job claimed as succeeded.
        p = _proofOf(rs, 3);
        p.status = uint8(IComputeReceipts.JobStatus.Succeeded);
        vm.assertFalse(receipts.isRecorded(p), "wrong status");

        // Wrong consumer: another address claims the job.
        p = _proofOf(rs, 2);
        p.consumer = publisher;
        vm.assertFalse(receipts.isRecorded(p), "wrong consumer");

        // Wrong job id or receipt hash.
        p = _proofOf(rs, 2);
        p.jobId = _jobId("other");
        vm.assertFalse(receipts.isRecorded(p), "wrong job id");
        p = _proofOf(rs, 2);
        p.receiptHash = keccak256("other");
        vm.assertFalse(receipts.isRecorded(p), "wrong receipt hash");

        // Unknown root: a right path to a root never recorded.
        p = _proofOf(rs, 2);
        p.root = keccak256("unknown");
        vm.assertFalse(receipts.isRecorded(p), "unknown root");

        // An inner node is not a leaf: a truncated path proves nothing.
        p = _proofOf(rs, 0);
        bytes32[] memory shorter = new bytes32[](p.proof.length - 1);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = p.proof[i];
        }
        p.proof = shorter;
        vm.assertFalse(receipts.isRecorded(p), "truncated path");
    }

    function test_isRecorded_falseForAProofOfABatchNeverRecorded() public {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, 3, "unrecorded");
        vm.assertFalse(receipts.isRecorded(_proofOf(rs, 1)));
    }

    // ------------------------------------------------------------ helpers

    /// @dev Records a batch of `n` receipts on one dataset and checks the events, the stored batch, every order and
    /// the proof of every `proofStep`-th receipt and of the last.
    function _recordsAll(uint256 n, uint256 proofStep) internal {
        (uint256 a, Datatoken t) = _bigDataset();
        IComputeReceipts.Receipt[] memory rs = _batch(t, a, n, "batch");
        bytes32 root = Merkle.root(_leaves(rs));
        bytes memory sig = _signRoot(providerKey, root, n);
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.BatchRecorded(root, provider, n);
        for (uint256 i; i < n; ++i) {
            vm.expectEmit(address(receipts));
            emit IComputeReceipts.OrderConsumed(rs[i].orderIds[0], rs[i].jobId, a, rs[i].datasetContentHashes[0]);
            _expectJobRecorded(rs[i], root);
        }
        vm.prank(stranger);
        receipts.recordBatch(rs, sig);

        IComputeReceipts.Batch memory b = receipts.batchOf(root);
        vm.assertEq(b.provider, provider);
        vm.assertEq(uint256(b.blockNumber), block.number);
        vm.assertEq(uint256(b.count), n);
        bytes32[] memory leaves = _leaves(rs);
        for (uint256 i; i < n; ++i) {
            vm.assertTrue(t.orderInfo(rs[i].orderIds[0]).spent);
            if (i % proofStep != 0 && i != n - 1) continue;
            IComputeReceipts.JobProof memory p = IComputeReceipts.JobProof({
                root: root,
                receiptHash: receipts.hashReceipt(rs[i]),
                jobId: rs[i].jobId,
                consumer: rs[i].consumer,
                status: rs[i].status,
                proof: Merkle.proof(leaves, i)
            });
            vm.assertTrue(receipts.isRecorded(p));
        }
    }

    /// @dev A dataset whose publisher holds 1000 tokens, for batches.
    function _bigDataset() internal returns (uint256 a, Datatoken t) {
        (a, t,) = _publish(_params(1000 * ONE));
    }

    function _expectJobRecorded(IComputeReceipts.Receipt memory r, bytes32 root) internal {
        vm.expectEmit(address(receipts));
        emit IComputeReceipts.JobRecorded(
            r.jobId,
            root,
            r.consumer,
            r.outputsHash,
            r.resultCid,
            r.status,
            r.runtime,
            r.algorithmImageDigest,
            r.algorithmCodeHash,
            r.algorithmHash,
            r.startedAt,
            r.finishedAt
        );
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](2);
        out[0] = a;
        out[1] = b;
    }

    /// @dev Whom `sig` recovers to over the batch digest of (root, count).
    function _recover(bytes32 root, uint256 count, bytes memory sig) internal view returns (address) {
        bytes32 rr;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            rr := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return ecrecover(receipts.hashBatch(root, count), v, rr, s);
    }
}
