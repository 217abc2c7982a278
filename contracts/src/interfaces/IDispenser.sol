// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Free datatoken dispenser
/// @notice Gives deposited datatokens away, at most `maxPerAddress` units per address over time and, when
/// `maxTotal > 0`, at most `maxTotal` in all. One dispenser entry per datatoken.
interface IDispenser {
    /// @notice A dispenser entry.
    struct Entry {
        address owner;
        bool active;
        uint128 maxPerAddress;
        uint128 maxTotal;
        uint128 balance;
        uint128 dispensed;
    }

    /// @notice Parameters of a new entry.
    /// @param datatoken The token given away.
    /// @param maxPerAddress Units one address may receive in all (> 0).
    /// @param maxTotal Units given away in all (0 = only bounded by the deposit).
    /// @param deposit Units deposited now.
    struct DispenserParams {
        address datatoken;
        uint256 maxPerAddress;
        uint256 maxTotal;
        uint256 deposit;
    }

    /// @notice Only the factory creates entries on someone else's behalf.
    error DispenserOnlyFactory(address caller);
    /// @notice The datatoken already has an entry.
    error DispenserAlreadyExists(address datatoken);
    /// @notice No entry for the datatoken.
    error DispenserUnknown(address datatoken);
    /// @notice Only the asset's owner (the DataNFT owner of the datatoken's asset) creates its entry; `datatoken`
    /// must be a Cove datatoken.
    error DispenserNotAssetOwner(address datatoken, address caller);
    /// @notice `caller` is not the entry owner.
    error DispenserNotOwner(address datatoken, address caller);
    /// @notice The entry is deactivated.
    error DispenserInactive(address datatoken);
    /// @notice Invalid caps (per-address cap zero, or a value above uint128).
    error DispenserInvalidCaps(uint256 maxPerAddress, uint256 maxTotal);
    /// @notice Datatoken or owner is the zero address.
    error DispenserInvalidAddress();
    /// @notice Amount zero or above uint128.
    error DispenserInvalidAmount(uint256 amount);
    /// @notice `account` would exceed the per-address cap.
    error DispenserPerAddressCapExceeded(address account, uint256 received, uint256 requested, uint256 cap);
    /// @notice The total cap would be exceeded.
    error DispenserTotalCapExceeded(uint256 dispensed, uint256 requested, uint256 cap);
    /// @notice The deposit holds fewer units than asked.
    error DispenserInsufficientBalance(uint256 balance, uint256 requested);
    /// @notice A token transfer delivered `received` instead of `expected`.
    error DispenserTransferMismatch(uint256 expected, uint256 received);

    /// @notice A new entry.
    event DispenserCreated(
        address indexed datatoken, address indexed owner, uint256 maxPerAddress, uint256 maxTotal, uint256 deposit
    );
    /// @notice Tokens were given to `recipient`.
    event Dispensed(address indexed datatoken, address indexed recipient, uint256 amount);
    /// @notice The owner activated or deactivated the entry.
    event ActiveSet(address indexed datatoken, bool active);
    /// @notice The owner added to the deposit.
    event Funded(address indexed datatoken, uint256 amount);
    /// @notice The owner took units back.
    event Withdrawn(address indexed datatoken, uint256 amount);

    /// @notice Creates an entry owned by the caller, who must own the datatoken's asset (the DataNFT owner); pulls the
    /// deposit from the caller (approve first).
    function create(DispenserParams calldata params) external;
    /// @notice Creates an entry owned by `owner` whose deposit the factory already minted to this contract.
    function createFor(address owner, DispenserParams calldata params) external;
    /// @notice Sends `amount` units to the caller within the caps.
    function dispense(address datatoken, uint256 amount) external;
    /// @notice Activates or deactivates the entry (owner only).
    function setActive(address datatoken, bool active) external;
    /// @notice Adds to the deposit (owner only; pulls from the caller).
    function fund(address datatoken, uint256 amount) external;
    /// @notice Takes units back from the deposit (owner only).
    function withdraw(address datatoken, uint256 amount) external;

    /// @notice The entry of `datatoken`.
    function getEntry(address datatoken) external view returns (Entry memory);
    /// @notice Units `account` received from the entry of `datatoken`.
    function received(address datatoken, address account) external view returns (uint256);
}
