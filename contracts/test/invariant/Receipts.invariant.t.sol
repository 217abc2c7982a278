// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {CoveFixture} from "../utils/CoveFixture.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {ReceiptsHandler} from "./ReceiptsHandler.sol";

/// @notice Whatever mix of honest and hostile submissions: no receipt without an order, one receipt per order.
contract ReceiptsInvariantTest is CoveFixture {
    ReceiptsHandler internal handler;
    Datatoken internal dt;

    function setUp() public override {
        super.setUp();
        uint256 assetId;
        (assetId, dt,) = _publish(_params(10_000 * ONE));
        _registerProvider();
        handler = new ReceiptsHandler(dt, receipts, assetId, publisher, providerKey, strangerKey);
        targetContract(address(handler));
    }

    /// @dev Proves the handler makes progress: honest receipts land, hostile ones do not.
    function test_handler_recordsHonestJobsAndDropsHostileOnes() public {
        handler.startOrder(false);
        handler.recordJob(0, false, false, 0, false);
        vm.assertEq(handler.jobCount(), 1);
        handler.recordJob(0, false, false, 0, false); // same order again
        handler.recordJob(0, true, false, 0, false); // forged order
        handler.startOrder(false);
        handler.recordJob(1, false, false, 0, true); // unregistered signer
        handler.startOrder(true);
        handler.recordJob(2, false, false, 0, false); // order names another provider
        vm.assertEq(handler.jobCount(), 1);
        handler.recordJob(1, false, false, 0, false);
        vm.assertEq(handler.jobCount(), 2);
    }

    function invariant_noReceiptWithoutAnOrder() public view {
        for (uint256 j; j < handler.jobCount(); ++j) {
            bytes32 jobId = handler.jobs(j);
            vm.assertEq(receipts.providerOf(jobId), provider);
            bytes32[] memory used = handler.jobOrders(jobId);
            for (uint256 i; i < used.length; ++i) {
                vm.assertTrue(handler.isOrder(used[i]), "receipt spent an order that was never started");
                vm.assertGt(dt.orderInfo(used[i]).validUntil, 0);
                vm.assertEq(dt.orderInfo(used[i]).provider, provider);
            }
        }
    }

    function invariant_oneReceiptPerOrder() public view {
        for (uint256 o; o < handler.orderCount(); ++o) {
            bytes32 orderId = handler.orders(o);
            uint256 uses = handler.acceptedUses(orderId);
            vm.assertLe(uses, 1, "order spent twice");
            if (uses == 1) vm.assertTrue(receipts.jobIdOf(orderId) != bytes32(0));
            else vm.assertEq(receipts.jobIdOf(orderId), bytes32(0));
        }
    }
}
