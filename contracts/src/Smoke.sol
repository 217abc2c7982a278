// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Toolchain smoke contract: proves forge, solc and anvil work together.
contract Smoke {
    /// @notice Emitted when the stored value changes.
    event ValueSet(uint256 value);

    uint256 public value;

    /// @notice Stores `newValue`.
    function set(uint256 newValue) external {
        value = newValue;
        emit ValueSet(newValue);
    }
}
