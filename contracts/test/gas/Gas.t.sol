// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm, Vm} from "../utils/Vm.sol";
import {CoveFixture} from "../utils/CoveFixture.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {IAssetFactory} from "../../src/interfaces/IAssetFactory.sol";
import {IComputeReceipts} from "../../src/interfaces/IComputeReceipts.sol";
import {IDataNFT} from "../../src/interfaces/IDataNFT.sol";

/// @notice Named gas measurements (`forge snapshot --match-test '^test_gas_'` writes `.gas-snapshot`) and the
/// project's gas targets.
/// @dev How a figure is counted: `vm.lastCallGas().gasTotalUsed` is the execution gas of the measured call's own frame
/// (what a transaction to that contract spends after its intrinsic cost, before refunds). The whole-transaction
/// figure adds the 21,000 base cost and the calldata cost (4 gas per zero byte, 16 per non-zero byte) of the same
/// call. Storage and accounts touched by the measured call are cold, as in a fresh transaction: preparation runs in
/// `setUp` or is cooled with `vm.cool`.
contract GasTest is CoveFixture {
    uint256 internal constant PUBLISH_TX_TARGET = 350_000;
    uint256 internal constant START_ORDER_TX_TARGET = 67_000;
    uint256 internal constant RECORD_JOB_TX_TARGET = 100_000;
    /// @dev The batch targets are 25,000 gas per job at 10 and 20,000 at 100; not met (39,222 and 32,918 measured):
    /// calldata (~7,000 per receipt), the two per-job events (~9,300) and spending the order on its datatoken
    /// (~9,600) alone exceed 20,000 (docs/contracts.md, "Gas"). Until the contract changes, these ceilings only
    /// catch regressions.
    uint256 internal constant BATCH_10_PER_JOB_CEILING = 40_000;
    uint256 internal constant BATCH_100_PER_JOB_CEILING = 33_500;

    event log_named_uint(string key, uint256 val);

    Datatoken internal datatoken;
    uint256 internal assetId;
    uint256 internal offerId;
    /// @dev Unspent compute orders of `datatoken`, started in `setUp` so the measured call finds their slots
    /// written by an earlier transaction (as on chain): one for recordJob, then 10 and 100 for the batches.
    bytes32 internal singleOrder;
    bytes32[] internal orders10;
    bytes32[] internal orders100;
    /// @dev Lineage proofs of succeeded jobs bought by the publisher: one recorded alone, 16 in one batch.
    IComputeReceipts.JobProof internal parent;
    IComputeReceipts.JobProof[] internal parents16;

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
        _prepareReceipts();
    }

    /// @dev Orders for the receipt measurements, all of one dataset (a provider serving many buyers of one dataset
    /// batches their jobs), and the recorded parents for the model publishes.
    function _prepareReceipts() internal {
        baseToken.mint(buyer, 1000 * ONE);
        vm.startPrank(buyer);
        exchange.buy(offerId, 150 * ONE, type(uint256).max);
        singleOrder = datatoken.startOrder(consumer, 0, provider);
        for (uint256 i; i < 10; ++i) {
            orders10.push(datatoken.startOrder(consumer, 0, provider));
        }
        for (uint256 i; i < 100; ++i) {
            orders100.push(datatoken.startOrder(consumer, 0, provider));
        }
        // The parents' orders: bought for the publisher, who will cite the jobs.
        bytes32[] memory parentOrders = new bytes32[](17);
        for (uint256 i; i < 17; ++i) {
            parentOrders[i] = datatoken.startOrder(publisher, 0, provider);
        }
        vm.stopPrank();

        IComputeReceipts.Receipt memory one = _receipt(_jobId("parent"), parentOrders[0], assetId);
        one.consumer = publisher;
        receipts.recordJob(one, _sign(providerKey, one));
        parent = _proofOne(one);
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](16);
        for (uint256 i; i < 16; ++i) {
            rs[i] = _receipt(_jobId(string(abi.encode("parent", i))), parentOrders[i + 1], assetId);
            rs[i].consumer = publisher;
        }
        receipts.recordBatch(rs, _signBatch(providerKey, rs));
        for (uint256 i; i < 16; ++i) {
            parents16.push(_proofOf(rs, i));
        }
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
        IComputeReceipts.Receipt memory r = _receipt(_jobId("job"), singleOrder, assetId);
        bytes memory signature = _sign(providerKey, r);
        _coolReceiptContracts();
        receipts.recordJob(r, signature);
        uint256 txGas = _report("recordJob (one dataset)", abi.encodeCall(receipts.recordJob, (r, signature)));
        vm.assertLe(txGas, RECORD_JOB_TX_TARGET, "recordJob over target");
    }

    /// @dev Ten jobs of one dataset, ten buyers' orders, one signature.
    function test_gas_recordBatch_10() public {
        uint256 perJob = _measureBatch(orders10, "recordBatch of 10 (one dataset)");
        vm.assertLe(perJob, BATCH_10_PER_JOB_CEILING, "recordBatch of 10 over its ceiling per job");
    }

    /// @dev A hundred jobs of one dataset, one signature.
    function test_gas_recordBatch_100() public {
        uint256 perJob = _measureBatch(orders100, "recordBatch of 100 (one dataset)");
        vm.assertLe(perJob, BATCH_100_PER_JOB_CEILING, "recordBatch of 100 over its ceiling per job");
    }

    /// @dev A model with one parent (a job recorded alone: empty Merkle path), listed on the exchange.
    function test_gas_publishModel_1parent() public {
        IAssetFactory.PublishParams memory p = _modelParams(1);
        _coolReceiptContracts();
        vm.prank(publisher);
        factory.publish(p);
        uint256 txGas = _report("publishModel, 1 parent", abi.encodeCall(factory.publish, (p)));
        vm.assertLe(txGas, PUBLISH_TX_TARGET, "publishModel over target");
    }

    /// @dev A model with the most parents, 16 jobs of one batch (a 4-node path each), listed on the exchange.
    function test_gas_publishModel_16parents() public {
        IAssetFactory.PublishParams memory p = _modelParams(16);
        _coolReceiptContracts();
        vm.prank(publisher);
        factory.publish(p);
        _report("publishModel, 16 parents", abi.encodeCall(factory.publish, (p)));
    }

    function _modelParams(uint256 n) internal view returns (IAssetFactory.PublishParams memory p) {
        p = _fixedRateParams(1000 * ONE, 2 * ONE, 100);
        p.kind = IDataNFT.AssetKind.Model;
        p.parents = new IComputeReceipts.JobProof[](n);
        if (n == 1) {
            p.parents[0] = parent;
        } else {
            for (uint256 i; i < n; ++i) {
                p.parents[i] = parents16[i];
            }
        }
    }

    /// @dev Records one batch over `orderIds` and reports it; returns the whole-transaction gas per job.
    function _measureBatch(bytes32[] storage orderIds, string memory what) internal returns (uint256 perJob) {
        uint256 n = orderIds.length;
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](n);
        for (uint256 i; i < n; ++i) {
            rs[i] = _receipt(_jobId(string(abi.encode(what, i))), orderIds[i], assetId);
        }
        bytes memory signature = _signBatch(providerKey, rs);
        _coolReceiptContracts();
        receipts.recordBatch(rs, signature);
        uint256 txGas = _report(what, abi.encodeCall(receipts.recordBatch, (rs, signature)));
        perJob = txGas / n;
        emit log_named_uint(string.concat(what, ": whole transaction per job"), perJob);
    }

    function _coolReceiptContracts() internal {
        vm.cool(address(datatoken));
        vm.cool(address(receipts));
        vm.cool(address(dataNFT));
        vm.cool(address(registry));
        vm.cool(address(factory));
        vm.cool(address(exchange));
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
