// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDispenser} from "./interfaces/IDispenser.sol";
import {IAssetFactory} from "./interfaces/IAssetFactory.sol";
import {IDataNFT} from "./interfaces/IDataNFT.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";

/// @title Dispenser
/// @notice Gives deposited datatokens away within per-address and total caps. See {IDispenser}.
contract Dispenser is IDispenser, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    address private immutable _factory;

    mapping(address datatoken => Entry) private _entries;
    mapping(address datatoken => mapping(address account => uint256)) private _received;

    /// @param factory_ The AssetFactory, allowed to create entries whose deposit it minted here.
    constructor(address factory_) {
        _factory = factory_;
    }

    /// @inheritdoc IDispenser
    function create(DispenserParams calldata params) external nonReentrant {
        _create(msg.sender, params);
        // After the parameter checks (their errors come first); the entry written above reverts with this.
        if (_assetOwner(params.datatoken) != msg.sender) revert DispenserNotAssetOwner(params.datatoken, msg.sender);
        if (params.deposit > 0) _pull(params.datatoken, params.deposit);
    }

    /// @inheritdoc IDispenser
    function createFor(address owner, DispenserParams calldata params) external {
        if (msg.sender != _factory) revert DispenserOnlyFactory(msg.sender);
        _create(owner, params);
    }

    /// @inheritdoc IDispenser
    function dispense(address datatoken, uint256 amount) external nonReentrant {
        Entry storage entry = _entries[datatoken];
        if (entry.owner == address(0)) revert DispenserUnknown(datatoken);
        if (!entry.active) revert DispenserInactive(datatoken);
        if (amount == 0 || amount > type(uint128).max) revert DispenserInvalidAmount(amount);
        uint256 got = _received[datatoken][msg.sender];
        uint256 perAddress = entry.maxPerAddress;
        if (got + amount > perAddress) revert DispenserPerAddressCapExceeded(msg.sender, got, amount, perAddress);
        uint256 dispensed = entry.dispensed;
        uint256 maxTotal = entry.maxTotal;
        if (maxTotal != 0 && dispensed + amount > maxTotal) {
            revert DispenserTotalCapExceeded(dispensed, amount, maxTotal);
        }
        uint256 balance = entry.balance;
        if (amount > balance) revert DispenserInsufficientBalance(balance, amount);
        _received[datatoken][msg.sender] = got + amount;
        // amount <= balance < 2**128.
        // forge-lint: disable-next-line(unsafe-typecast)
        entry.balance = uint128(balance - amount);
        entry.dispensed = SafeCast.toUint128(dispensed + amount);
        IERC20(datatoken).safeTransfer(msg.sender, amount);
        emit Dispensed(datatoken, msg.sender, amount);
    }

    /// @inheritdoc IDispenser
    function setActive(address datatoken, bool active) external {
        Entry storage entry = _owned(datatoken);
        entry.active = active;
        emit ActiveSet(datatoken, active);
    }

    /// @inheritdoc IDispenser
    function fund(address datatoken, uint256 amount) external nonReentrant {
        Entry storage entry = _owned(datatoken);
        uint256 updated = uint256(entry.balance) + amount;
        if (amount == 0 || updated > type(uint128).max) revert DispenserInvalidAmount(amount);
        // Range checked above.
        // forge-lint: disable-next-line(unsafe-typecast)
        entry.balance = uint128(updated);
        _pull(datatoken, amount);
        emit Funded(datatoken, amount);
    }

    /// @inheritdoc IDispenser
    function withdraw(address datatoken, uint256 amount) external nonReentrant {
        Entry storage entry = _owned(datatoken);
        uint256 balance = entry.balance;
        if (amount == 0) revert DispenserInvalidAmount(amount);
        if (amount > balance) revert DispenserInsufficientBalance(balance, amount);
        // amount <= balance < 2**128.
        // forge-lint: disable-next-line(unsafe-typecast)
        entry.balance = uint128(balance - amount);
        IERC20(datatoken).safeTransfer(msg.sender, amount);
        emit Withdrawn(datatoken, amount);
    }

    /// @inheritdoc IDispenser
    function getEntry(address datatoken) external view returns (Entry memory entry) {
        entry = _entries[datatoken];
        // The entry follows the asset: its owner is the asset's current owner.
        if (entry.owner != address(0)) entry.owner = _assetOwner(datatoken);
    }

    /// @inheritdoc IDispenser
    function received(address datatoken, address account) external view returns (uint256) {
        return _received[datatoken][account];
    }

    function _create(address owner, DispenserParams calldata params) private {
        if (owner == address(0) || params.datatoken == address(0)) revert DispenserInvalidAddress();
        if (_entries[params.datatoken].owner != address(0)) revert DispenserAlreadyExists(params.datatoken);
        if (
            params.maxPerAddress == 0 || params.maxPerAddress > type(uint128).max || params.maxTotal > type(uint128).max
        ) revert DispenserInvalidCaps(params.maxPerAddress, params.maxTotal);
        if (params.deposit > type(uint128).max) revert DispenserInvalidAmount(params.deposit);
        // Ranges checked above.
        _entries[params.datatoken] = Entry({
            owner: owner,
            active: true,
            // forge-lint: disable-next-line(unsafe-typecast)
            maxPerAddress: uint128(params.maxPerAddress),
            // forge-lint: disable-next-line(unsafe-typecast)
            maxTotal: uint128(params.maxTotal),
            // forge-lint: disable-next-line(unsafe-typecast)
            balance: uint128(params.deposit),
            dispensed: 0
        });
        emit DispenserCreated(params.datatoken, owner, params.maxPerAddress, params.maxTotal, params.deposit);
    }

    /// @dev The entry, if the caller owns the datatoken's asset now: an entry follows the DataNFT (a sale hands the
    /// entry and its deposit to the buyer).
    function _owned(address datatoken) private view returns (Entry storage entry) {
        entry = _entries[datatoken];
        if (entry.owner == address(0)) revert DispenserUnknown(datatoken);
        if (_assetOwner(datatoken) != msg.sender) revert DispenserNotOwner(datatoken, msg.sender);
    }

    /// @dev The DataNFT owner of `datatoken`'s asset. Reverts unless `datatoken` is the Cove datatoken of its asset
    /// (the DataNFT, found through the factory, names it), so a look-alike token cannot claim an owner.
    function _assetOwner(address datatoken) private view returns (address) {
        IDataNFT nft = IDataNFT(IAssetFactory(_factory).dataNFT());
        uint256 assetId = IDatatoken(datatoken).assetId();
        if (nft.datatokenOf(assetId) != datatoken) revert DispenserNotAssetOwner(datatoken, msg.sender);
        return nft.ownerOf(assetId);
    }

    /// @dev Pulls `amount` from the caller and checks that exactly `amount` arrived.
    function _pull(address datatoken, uint256 amount) private {
        uint256 before = IERC20(datatoken).balanceOf(address(this));
        IERC20(datatoken).safeTransferFrom(msg.sender, address(this), amount);
        uint256 got = IERC20(datatoken).balanceOf(address(this)) - before;
        if (got != amount) revert DispenserTransferMismatch(amount, got);
    }
}
