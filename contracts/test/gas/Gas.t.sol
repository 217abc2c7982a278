// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm, Vm} from "../utils/Vm.sol";
import {CoveFixture} from "../utils/CoveFixture.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {IAssetFactory} from "../../src/interfaces/IAssetFactory.sol";
import {IComputeReceipts} from "../../src/interfaces/IComputeReceipts.sol";

/// @notice Named gas measurements (`forge snapshot --match-test '^test_gas_'` writes `.gas-snapshot`) and the
/// project's gas targets.
/// @dev How a figure is counted: `vm.lastCallGas().gasTotalUsed` is the execution gas of the measured call's own frame
/// (what a transaction to that contract spends after its intrinsic cost, before refunds). The whole-transaction
/// figure adds the 21,000 base cost and the calldata cost (4 gas per zero byte, 16 per non-zero byte) of the same
/// call. Storage and accounts touched by the measured call are cold, as in a fresh transaction: preparation runs in
/// `setUp` or is cooled with `vm.cool`.
contract GasTest is CoveFixture {
    uint256 internal constant PUBLISH_TX_TARGET = 350_000;
    uint256 internal constant START_ORDER_TX_TARGET = 70_000;

    event log_named_uint(string key, uint256 val);

    Datatoken internal datatoken;
    uint256 internal assetId;
    uint256 internal offerId;

    function setUp() public override {
        super.setUp();
        // A first asset, so the measured publish is a publisher's next one (counters and balances already non-zero).
        _publish(_fixedRateParams(1000 * ONE, 2 * ONE, 100));
        (assetId, datatoken, offerId) = _publish(_fixedRateParams(1000 * ONE, 2 * ONE, 100));
        _registerProvider();
        // Steady state for orders: the payer has ordered before and the collector holds tokens.
        vm.prank(publisher);
        exchange.setRate(offerId, 2 * ONE);
        baseToken.mint(buyer, 1000 * ONE);
        vm.startPrank(buyer);
        baseToken.approve(address(exchange), type(uint256).max);
        exchange.buy(offerId, 10 * ONE, type(uint256).max);
        datatoken.startOrder(consumer, 0, provider);
        vm.stopPrank();
    }

    function test_gas_publishWithExchange() public {
        IAssetFactory.PublishParams memory p = _fixedRateParams(1000 * ONE, 2 * ONE, 100);
        vm.prank(publisher);
        factory.publish(p);
        uint256 txGas = _report("publish (NFT + datatoken + exchange offer)", abi.encodeCall(factory.publish, (p)));
        vm.assertLe(txGas, PUBLISH_TX_TARGET, "publish over target");
    }

    function test_gas_publishWithExchange_firstTimePublisher() public {
        IAssetFactory.PublishParams memory p = _fixedRateParams(1000 * ONE, 2 * ONE, 100);
        vm.prank(stranger);
        factory.publish(p);
        uint256 txGas = _report("publish by a first-time publisher", abi.encodeCall(factory.publish, (p)));
        vm.assertLe(txGas, PUBLISH_TX_TARGET, "publish over target");
    }

    function test_gas_publishWithExchange_dagPbDocument() public {
        IAssetFactory.PublishParams memory p = _fixedRateParams(1000 * ONE, 2 * ONE, 100);
        p.cid = CID_DAG_PB;
        vm.prank(publisher);
        factory.publish(p);
        uint256 txGas = _report("publish, dag-pb document CID", abi.encodeCall(factory.publish, (p)));
        vm.assertLe(txGas, PUBLISH_TX_TARGET, "publish over target");
    }

    function test_gas_startOrder() public {
        vm.prank(buyer);
        datatoken.startOrder(consumer, 0, provider);
        uint256 txGas = _report("startOrder", abi.encodeCall(datatoken.startOrder, (consumer, 0, provider)));
        vm.assertLe(txGas, START_ORDER_TX_TARGET, "startOrder over target");
    }

    function test_gas_buy() public {
        vm.prank(buyer);
        exchange.buy(offerId, ONE, 3 * ONE);
        _report("buy (ERC-20 base token)", abi.encodeCall(exchange.buy, (offerId, ONE, 3 * ONE)));
    }

    function test_gas_recordJob() public {
        vm.prank(buyer);
        bytes32 orderId = datatoken.startOrder(consumer, 0, provider);
        IComputeReceipts.Receipt memory r = _receipt(_jobId("job"), orderId, assetId);
        bytes memory signature = _sign(providerKey, r);
        vm.cool(address(datatoken));
        vm.cool(address(receipts));
        vm.cool(address(dataNFT));
        vm.cool(address(registry));
        receipts.recordJob(r, signature);
        _report("recordJob (one dataset)", abi.encodeCall(receipts.recordJob, (r, signature)));
    }

    /// @dev Logs and returns the whole-transaction gas of the last call (see the contract notice).
    function _report(string memory what, bytes memory callData) internal returns (uint256 txGas) {
        Vm.Gas memory g = vm.lastCallGas();
        uint256 calldataGas;
        for (uint256 i; i < callData.length; ++i) {
            calldataGas += callData[i] == 0 ? 4 : 16;
        }
        txGas = 21_000 + calldataGas + g.gasTotalUsed;
        emit log_named_uint(string.concat(what, ": execution"), g.gasTotalUsed);
        emit log_named_uint(string.concat(what, ": calldata"), calldataGas);
        emit log_named_uint(string.concat(what, ": whole transaction"), txGas);
    }
}
