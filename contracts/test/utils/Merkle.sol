// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The receipt-batch Merkle tree, rebuilt independently of the contract for tests: pairs hashed sorted
/// (OpenZeppelin's `Hashes.commutativeKeccak256`), an odd last node carried up unchanged, one leaf: root = leaf.
/// Same rule as sdk/src/contracts/receipts.ts (`merkleRoot`, `merkleProof`).
library Merkle {
    /// @notice keccak256 of the two nodes, smaller first.
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    /// @notice The root over `leaves` (at least one).
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        require(leaves.length > 0, "Merkle: no leaves");
        bytes32[] memory level = _copy(leaves);
        uint256 n = level.length;
        while (n > 1) {
            n = _up(level, n);
        }
        return level[0];
    }

    /// @notice The path from leaf `index` to the root (siblings bottom-up; a level where the node has none adds
    /// nothing), for OpenZeppelin's `MerkleProof.verify`.
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory path) {
        require(index < leaves.length, "Merkle: no such leaf");
        bytes32[] memory level = _copy(leaves);
        bytes32[] memory buffer = new bytes32[](64);
        uint256 depth;
        uint256 n = level.length;
        uint256 i = index;
        while (n > 1) {
            uint256 sibling = i ^ 1;
            if (sibling < n) buffer[depth++] = level[sibling];
            n = _up(level, n);
            i >>= 1;
        }
        path = new bytes32[](depth);
        for (uint256 k; k < depth; ++k) {
            path[k] = buffer[k];
        }
    }

    /// @notice Folds `path` from `leaf` up (OpenZeppelin's `MerkleProof.processProof`).
    function process(bytes32 leaf, bytes32[] memory path) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 k; k < path.length; ++k) {
            node = hashPair(node, path[k]);
        }
    }

    /// @dev One level up, in place over the first `n` nodes; returns the new length.
    function _up(bytes32[] memory level, uint256 n) private pure returns (uint256 half) {
        for (uint256 i; i < n; i += 2) {
            level[half++] = i + 1 < n ? hashPair(level[i], level[i + 1]) : level[i];
        }
    }

    function _copy(bytes32[] memory xs) private pure returns (bytes32[] memory out) {
        out = new bytes32[](xs.length);
        for (uint256 i; i < xs.length; ++i) {
            out[i] = xs[i];
        }
    }
}
