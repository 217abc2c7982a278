// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {Merkle} from "../utils/Merkle.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {ComputeReceipts} from "../../src/ComputeReceipts.sol";
import {AssetFactory} from "../../src/AssetFactory.sol";
import {IAssetFactory} from "../../src/interfaces/IAssetFactory.sol";
import {IComputeReceipts} from "../../src/interfaces/IComputeReceipts.sol";
import {IDataNFT} from "../../src/interfaces/IDataNFT.sol";

/// @notice Starts orders (compute and access), submits receipts alone and in batches, honest or not (unknown
/// orders, reused orders, access orders, wrong signers), and publishes models citing recorded jobs (failed ones,
/// other consumers' ones, duplicates, forged proofs); the ghost state records only what the contracts accepted,
/// with each job's true consumer and status as the handler built it.
contract ReceiptsHandler {
    /// @notice The handler's own record of an accepted receipt (not read back from the proof).
    struct Job {
        address consumer;
        uint8 status;
        IComputeReceipts.JobProof proof;
    }

    Datatoken public immutable datatoken;
    ComputeReceipts public immutable receipts;
    AssetFactory public immutable factory;
    uint256 public immutable assetId;
    address public immutable publisher;
    address public immutable other;
    uint256 internal immutable _providerKey;
    uint256 internal immutable _strangerKey;
    string internal _cid;
    bytes32 internal immutable _docHash;

    bytes32[] public orders;
    mapping(bytes32 orderId => bool) public isOrder;
    bytes32[] public jobs;
    mapping(bytes32 jobId => Job) internal _jobs;
    mapping(bytes32 jobId => bytes32[]) internal _jobOrders;
    mapping(bytes32 orderId => uint256) public acceptedUses;
    uint256[] public models;
    mapping(uint256 model => bytes32[]) internal _modelParents;
    uint256 public batchCount;
    uint256 internal _nonce;

    constructor(
        Datatoken datatoken_,
        ComputeReceipts receipts_,
        AssetFactory factory_,
        uint256 assetId_,
        address publisher_,
        address other_,
        uint256 providerKey_,
        uint256 strangerKey_,
        string memory cid_,
        bytes32 docHash_
    ) {
        datatoken = datatoken_;
        receipts = receipts_;
        factory = factory_;
        assetId = assetId_;
        publisher = publisher_;
        other = other_;
        _providerKey = providerKey_;
        _strangerKey = strangerKey_;
        _cid = cid_;
        _docHash = docHash_;
    }

    function orderCount() external view returns (uint256) {
        return orders.length;
    }

    function jobCount() external view returns (uint256) {
        return jobs.length;
    }

    function modelCount() external view returns (uint256) {
        return models.length;
    }

    function jobOrders(bytes32 jobId) external view returns (bytes32[] memory) {
        return _jobOrders[jobId];
    }

    function jobOf(bytes32 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    function modelParents(uint256 model) external view returns (bytes32[] memory) {
        return _modelParents[model];
    }

    /// @param namesStranger The order names the unregistered stranger as its provider.
    /// @param access The order is for the access service (1), not the compute service (0).
    function startOrder(bool namesStranger, bool access) public {
        vm.prank(publisher);
        bytes32 orderId =
            datatoken.startOrder(publisher, access ? 1 : 0, vm.addr(namesStranger ? _strangerKey : _providerKey));
        orders.push(orderId);
        isOrder[orderId] = true;
    }

    /// @notice One receipt, through `recordJob`.
    /// @param pick Which known order to spend (or a made-up one when `forge` is set or none exist).
    /// @param twoOrders Whether to list a second (possibly identical) order.
    /// @param signWithStranger Sign with an unregistered key.
    function recordJob(uint256 pick, bool forge, bool twoOrders, uint256 pick2, bool signWithStranger) external {
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](1);
        rs[0] = _receipt(pick, forge, twoOrders, pick2, signWithStranger ? _strangerKey : _providerKey);
        bytes memory sig = _sign(signWithStranger ? _strangerKey : _providerKey, rs);
        try receipts.recordJob(rs[0], sig) {
            _accept(rs);
        } catch {}
    }

    /// @notice A batch of 1..6 receipts over known (or made-up) orders, through `recordBatch`.
    function recordBatch(uint256 seed, uint8 rawSize, bool signWithStranger) external {
        uint256 n = 1 + (rawSize % 6);
        uint256 key = signWithStranger ? _strangerKey : _providerKey;
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // Mostly fresh orders, sometimes a known (perhaps spent) one, rarely a forged one.
            if (r % 4 != 0) startOrder(false, r % 13 == 0);
            rs[i] = _receipt(r % 4 != 0 ? orders.length - 1 : r >> 8, r % 31 == 0, false, 0, key);
        }
        bytes memory sig = _sign(key, rs);
        try receipts.recordBatch(rs, sig) {
            ++batchCount;
            _accept(rs);
        } catch {}
    }

    /// @notice Publishes a model citing up to 3 recorded jobs, as `publisher` or `other`; sometimes with a proof
    /// whose claimed consumer or status was changed.
    function publishModel(uint256 seed, uint8 rawCount, bool asOther, bool tamper) external {
        if (jobs.length == 0) return;
        uint256 n = 1 + (rawCount % 3);
        IAssetFactory.PublishParams memory p;
        p.kind = IDataNFT.AssetKind.Model;
        p.cid = _cid;
        p.metadataHash = _docHash;
        p.name = "Model";
        p.symbol = "M";
        p.serviceTimeouts = new uint32[](1);
        p.serviceTimeouts[0] = 1 days;
        p.parents = new IComputeReceipts.JobProof[](n);
        bytes32[] memory ids = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 jobId = jobs[uint256(keccak256(abi.encode(seed, i))) % jobs.length];
            p.parents[i] = _jobs[jobId].proof;
            ids[i] = jobId;
        }
        address minter = asOther ? other : publisher;
        if (tamper) {
            p.parents[0].consumer = minter;
            p.parents[0].status = 0;
        }
        vm.prank(minter);
        try factory.publish(p) returns (uint256 model, address, uint256) {
            models.push(model);
            _modelParents[model] = ids;
        } catch {}
    }

    function _receipt(uint256 pick, bool forge, bool twoOrders, uint256 pick2, uint256 key)
        internal
        returns (IComputeReceipts.Receipt memory r)
    {
        bytes32 first = (forge || orders.length == 0)
            ? keccak256(abi.encode("forged", pick))
            : orders[pick % orders.length];
        uint256 n = twoOrders && orders.length > 0 ? 2 : 1;
        uint256 nonce = ++_nonce;
        // The job id commits to the signer (top 20 bytes), as a provider generates it.
        r.jobId = bytes32((uint256(uint160(vm.addr(key))) << 96) | uint96(uint256(keccak256(abi.encode("job", nonce)))));
        // Some jobs are bought for `other`, some fail: lineage must refuse those for the wrong minter or status.
        r.consumer = nonce % 3 == 0 ? other : publisher;
        r.status = nonce % 4 == 0 ? uint8(IComputeReceipts.JobStatus.Failed) : 0;
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
    }

    function _leaves(IComputeReceipts.Receipt[] memory rs) internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](rs.length);
        for (uint256 i; i < rs.length; ++i) {
            leaves[i] = keccak256(abi.encode(receipts.hashReceipt(rs[i]), rs[i].jobId, rs[i].consumer, rs[i].status));
        }
    }

    function _sign(uint256 key, IComputeReceipts.Receipt[] memory rs) internal view returns (bytes memory) {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, receipts.hashBatch(Merkle.root(_leaves(rs)), rs.length));
        return abi.encodePacked(rr, s, v);
    }

    function _accept(IComputeReceipts.Receipt[] memory rs) internal {
        bytes32[] memory leaves = _leaves(rs);
        bytes32 root = Merkle.root(leaves);
        for (uint256 j; j < rs.length; ++j) {
            IComputeReceipts.Receipt memory r = rs[j];
            jobs.push(r.jobId);
            Job storage job = _jobs[r.jobId];
            job.consumer = r.consumer;
            job.status = r.status;
            job.proof = IComputeReceipts.JobProof({
                root: root,
                receiptHash: receipts.hashReceipt(r),
                jobId: r.jobId,
                consumer: r.consumer,
                status: r.status,
                proof: Merkle.proof(leaves, j)
            });
            for (uint256 i; i < r.orderIds.length; ++i) {
                _jobOrders[r.jobId].push(r.orderIds[i]);
                ++acceptedUses[r.orderIds[i]];
            }
        }
    }
}
