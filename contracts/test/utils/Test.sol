// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Vm, vm} from "./Vm.sol";

/// @notice Minimal base for forge tests: marks the contract as a test, exposes `vm`, fuzz-input bounding and the
/// invariant-target hooks forge reads.
abstract contract Test {
    /// @dev Read by forge to recognise test contracts.
    bool public constant IS_TEST = true;

    address[] private _targetContracts;

    /// @notice Restricts invariant fuzzing to `target` (cumulative).
    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    /// @notice The contracts forge calls during invariant runs.
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @notice Maps any `x` into `[min, max]` (uniformly enough for fuzzing; values already inside are kept).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @notice A deterministic address labelled `name`.
    function makeAddr(string memory name) internal returns (address account) {
        account = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(account, name);
    }

    /// @notice A deterministic key pair labelled `name`.
    function makeAddrAndKey(string memory name) internal returns (address account, uint256 key) {
        key = uint256(keccak256(bytes(name)));
        account = vm.addr(key);
        vm.label(account, name);
    }
}
