// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {CoveFixture} from "../utils/CoveFixture.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {IComputeReceipts} from "../../src/interfaces/IComputeReceipts.sol";
import {ReceiptsHandler} from "./ReceiptsHandler.sol";

/// @notice Whatever mix of honest and hostile submissions: no receipt without an order, a receipt exactly for each
/// spent order, one receipt per order, and a model's parents are succeeded jobs bought by its publisher.
contract ReceiptsInvariantTest is CoveFixture {
    ReceiptsHandler internal handler;
    Datatoken internal dt;
    address internal other;

    function setUp() public override {
        super.setUp();
        uint256 assetId;
        (assetId, dt,) = _publish(_params(100_000 * ONE));
        _registerProvider();
        other = makeAddr("other");
        handler = new ReceiptsHandler(
            dt, receipts, factory, assetId, publisher, other, providerKey, strangerKey, CID, DOC_HASH
        );
        targetContract(address(handler));
    }

    /// @dev Proves the handler makes progress: honest receipts land, hostile ones do not.
    function test_handler_recordsHonestJobsAndDropsHostileOnes() public {
        handler.startOrder(false, false);
        handler.recordJob(0, false, false, 0, false);
        vm.assertEq(handler.jobCount(), 1);
        handler.recordJob(0, false, false, 0, false); // same order again
        handler.recordJob(0, true, false, 0, false); // forged order
        handler.startOrder(false, false);
        handler.recordJob(1, false, false, 0, true); // unregistered signer
        handler.startOrder(true, false);
        handler.recordJob(2, false, false, 0, false); // order names another provider
        handler.startOrder(false, true);
        handler.recordJob(3, false, false, 0, false); // access order
        vm.assertEq(handler.jobCount(), 1);
        handler.recordJob(1, false, false, 0, false);
        vm.assertEq(handler.jobCount(), 2);
        handler.recordBatch(2, 4, true); // unregistered signer
        vm.assertEq(handler.batchCount(), 0);
        // Batches with a bad receipt are dropped whole; most land.
        for (uint256 seed; seed < 20; ++seed) {
            handler.recordBatch(seed, uint8(seed), false);
        }
        vm.assertGt(handler.batchCount(), 5);
        vm.assertGt(handler.jobCount(), 10);
    }

    /// @dev Proves models get published from honest parents and not from others.
    function test_handler_publishesModelsOnlyFromTheMintersSucceededJobs() public {
        for (uint256 i; i < 6; ++i) {
            handler.startOrder(false, false);
            handler.recordJob(i, false, false, 0, false);
        }
        vm.assertEq(handler.jobCount(), 6);
        for (uint256 seed; seed < 40; ++seed) {
            handler.publishModel(seed, uint8(seed), seed % 2 == 0, seed % 5 == 0);
        }
        vm.assertGt(handler.modelCount(), 0);
        invariant_lineageParentsAreSucceededJobsOfTheMinter();
    }

    function invariant_noReceiptWithoutAnOrder() public view {
        for (uint256 j; j < handler.jobCount(); ++j) {
            bytes32 jobId = handler.jobs(j);
            ReceiptsHandler.Job memory job = handler.jobOf(jobId);
            vm.assertTrue(receipts.isRecorded(job.proof), "accepted receipt not provable");
            vm.assertEq(receipts.batchOf(job.proof.root).provider, provider);
            bytes32[] memory used = handler.jobOrders(jobId);
            for (uint256 i; i < used.length; ++i) {
                vm.assertTrue(handler.isOrder(used[i]), "receipt spent an order that was never started");
                vm.assertGt(dt.orderInfo(used[i]).validUntil, 0);
                vm.assertEq(dt.orderInfo(used[i]).provider, provider);
                vm.assertTrue(dt.isComputeService(dt.orderInfo(used[i]).serviceId), "receipt spent an access order");
            }
        }
    }

    /// @dev An order is spent exactly when an accepted receipt names it, and no order is named by two.
    function invariant_receiptIffSpentOrder_oneReceiptPerOrder() public view {
        for (uint256 o; o < handler.orderCount(); ++o) {
            bytes32 orderId = handler.orders(o);
            uint256 uses = handler.acceptedUses(orderId);
            vm.assertLe(uses, 1, "order spent twice");
            vm.assertEq(dt.orderInfo(orderId).spent, uses == 1);
        }
    }

    function invariant_lineageParentsAreSucceededJobsOfTheMinter() public view {
        for (uint256 m; m < handler.modelCount(); ++m) {
            uint256 model = handler.models(m);
            address minter = dataNFT.creatorOf(model);
            vm.assertTrue(dataNFT.hasLineage(model));
            bytes32[] memory parents = handler.modelParents(model);
            for (uint256 i; i < parents.length; ++i) {
                ReceiptsHandler.Job memory job = handler.jobOf(parents[i]);
                vm.assertEq(uint256(job.status), uint256(IComputeReceipts.JobStatus.Succeeded), "failed parent");
                vm.assertEq(job.consumer, minter, "parent bought by someone else");
                for (uint256 k; k < i; ++k) {
                    vm.assertTrue(parents[k] != parents[i], "duplicate parent");
                }
            }
        }
    }
}
