// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {ComputeReceipts} from "../../src/ComputeReceipts.sol";
import {IComputeReceipts} from "../../src/interfaces/IComputeReceipts.sol";

/// @notice Starts orders and submits receipts, honest or not (unknown orders, reused orders, wrong signers); the
/// ghost state records only what the contract accepted.
contract ReceiptsHandler {
    Datatoken public immutable datatoken;
    ComputeReceipts public immutable receipts;
    uint256 public immutable assetId;
    address public immutable publisher;
    uint256 internal immutable _providerKey;
    uint256 internal immutable _strangerKey;

    bytes32[] public orders;
    mapping(bytes32 orderId => bool) public isOrder;
    bytes32[] public jobs;
    mapping(bytes32 jobId => bytes32[]) internal _jobOrders;
    mapping(bytes32 orderId => uint256) public acceptedUses;
    uint256 internal _nonce;

    constructor(
        Datatoken datatoken_,
        ComputeReceipts receipts_,
        uint256 assetId_,
        address publisher_,
        uint256 providerKey_,
        uint256 strangerKey_
    ) {
        datatoken = datatoken_;
        receipts = receipts_;
        assetId = assetId_;
        publisher = publisher_;
        _providerKey = providerKey_;
        _strangerKey = strangerKey_;
    }

    function orderCount() external view returns (uint256) {
        return orders.length;
    }

    function jobCount() external view returns (uint256) {
        return jobs.length;
    }

    function jobOrders(bytes32 jobId) external view returns (bytes32[] memory) {
        return _jobOrders[jobId];
    }

    function startOrder(bool namesStranger) external {
        vm.prank(publisher);
        bytes32 orderId = datatoken.startOrder(publisher, 0, vm.addr(namesStranger ? _strangerKey : _providerKey));
        orders.push(orderId);
        isOrder[orderId] = true;
    }

    /// @param pick Which known order to spend (or a made-up one when `forge` is set or none exist).
    /// @param twoOrders Whether to list a second (possibly identical) order.
    /// @param signWithStranger Sign with an unregistered key.
    function recordJob(uint256 pick, bool forge, bool twoOrders, uint256 pick2, bool signWithStranger) external {
        bytes32 first =
            (forge || orders.length == 0) ? keccak256(abi.encode("forged", pick)) : orders[pick % orders.length];
        uint256 n = twoOrders && orders.length > 0 ? 2 : 1;
        IComputeReceipts.Receipt memory r;
        // The job id commits to the signer (top 20 bytes), as a provider generates it.
        address signer = vm.addr(signWithStranger ? _strangerKey : _providerKey);
        r.jobId = bytes32((uint256(uint160(signer)) << 96) | uint96(uint256(keccak256(abi.encode("job", ++_nonce)))));
        r.orderIds = new bytes32[](n);
        r.assetIds = new uint256[](n);
        r.datasetContentHashes = new bytes32[](n);
        r.orderIds[0] = first;
        if (n == 2) r.orderIds[1] = orders[pick2 % orders.length];
        for (uint256 i; i < n; ++i) {
            r.assetIds[i] = assetId;
            r.datasetContentHashes[i] = keccak256("content");
        }
        r.algorithmHash = keccak256("algorithm");
        r.outputsHash = keccak256("outputs");
        r.resultCid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
        r.startedAt = uint64(block.timestamp);
        r.finishedAt = uint64(block.timestamp);
        (uint8 v, bytes32 rr, bytes32 s) =
            vm.sign(signWithStranger ? _strangerKey : _providerKey, receipts.hashReceipt(r));
        try receipts.recordJob(r, abi.encodePacked(rr, s, v)) {
            jobs.push(r.jobId);
            for (uint256 i; i < n; ++i) {
                _jobOrders[r.jobId].push(r.orderIds[i]);
                ++acceptedUses[r.orderIds[i]];
            }
        } catch {}
    }
}
