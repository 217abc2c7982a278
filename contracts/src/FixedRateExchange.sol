// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IFixedRateExchange} from "./interfaces/IFixedRateExchange.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IAssetFactory} from "./interfaces/IAssetFactory.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";

/// @title FixedRateExchange
/// @notice Sells deposited datatokens at a fixed rate. See {IFixedRateExchange} for the price formula.
/// @dev Proceeds and fees accrue to `claimable` and are pulled with `withdraw`, so a buyer never calls into the
/// owner or the fee collector, and a reverting recipient cannot block sales. Every function that moves value is
/// `nonReentrant` (transient-storage guard).
contract FixedRateExchange is IFixedRateExchange, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IFixedRateExchange
    uint16 public constant MAX_FEE_BPS = 1000;

    uint256 private constant _RATE_UNIT = 1e18;
    uint256 private constant _BPS = 10_000;

    address private immutable _factory;

    /// @dev Three slots; the datatoken is not stored but carried in the offer id (see `_offerId`). `followsAsset`
    /// marks the asset's own listing (made by the factory at publish): its owner is the DataNFT's current owner,
    /// `owner` then only records who it was made for.
    struct StoredOffer {
        address owner;
        uint96 deposit;
        address baseToken;
        uint96 rate;
        address feeCollector;
        uint16 feeBps;
        bool active;
        bool followsAsset;
    }

    uint96 private _offerCount;
    mapping(uint256 offerId => StoredOffer) private _offers;
    mapping(address account => mapping(address token => uint256)) private _claimable;

    /// @param factory_ The AssetFactory, allowed to create offers whose deposit it minted here.
    constructor(address factory_) {
        _factory = factory_;
    }

    // ---------------------------------------------------------------- offers

    /// @inheritdoc IFixedRateExchange
    function createOffer(OfferParams calldata params) external nonReentrant returns (uint256 offerId) {
        offerId = _createOffer(msg.sender, params, false);
        if (params.deposit > 0) _pull(params.datatoken, params.deposit);
    }

    /// @inheritdoc IFixedRateExchange
    function createOfferFor(address owner, OfferParams calldata params) external returns (uint256 offerId) {
        if (msg.sender != _factory) revert FixedRateExchangeOnlyFactory(msg.sender);
        offerId = _createOffer(owner, params, true);
    }

    /// @inheritdoc IFixedRateExchange
    function setRate(uint256 offerId, uint256 rate) external {
        StoredOffer storage offer = _ownedOffer(offerId);
        _checkRate(rate);
        // Range checked by _checkRate.
        // forge-lint: disable-next-line(unsafe-typecast)
        offer.rate = uint96(rate);
        emit RateChanged(offerId, rate);
    }

    /// @inheritdoc IFixedRateExchange
    function setActive(uint256 offerId, bool active) external {
        StoredOffer storage offer = _ownedOffer(offerId);
        offer.active = active;
        emit ActiveSet(offerId, active);
    }

    /// @inheritdoc IFixedRateExchange
    function deposit(uint256 offerId, uint256 amount) external nonReentrant {
        StoredOffer storage offer = _ownedOffer(offerId);
        uint256 updated = uint256(offer.deposit) + amount;
        if (amount == 0 || updated > type(uint96).max) revert FixedRateExchangeInvalidAmount(amount);
        // Range checked above.
        // forge-lint: disable-next-line(unsafe-typecast)
        offer.deposit = uint96(updated);
        _pull(_datatokenOf(offerId), amount);
        emit Deposited(offerId, amount);
    }

    /// @inheritdoc IFixedRateExchange
    function withdrawDeposit(uint256 offerId, uint256 amount) external nonReentrant {
        StoredOffer storage offer = _ownedOffer(offerId);
        uint256 available = offer.deposit;
        if (amount == 0) revert FixedRateExchangeInvalidAmount(amount);
        if (amount > available) revert FixedRateExchangeInsufficientDeposit(offerId, available, amount);
        // amount <= available < 2**96.
        // forge-lint: disable-next-line(unsafe-typecast)
        offer.deposit = uint96(available - amount);
        IERC20(_datatokenOf(offerId)).safeTransfer(msg.sender, amount);
        emit DepositWithdrawn(offerId, amount);
    }

    // ---------------------------------------------------------------- trading

    /// @inheritdoc IFixedRateExchange
    function buy(uint256 offerId, uint256 amount, uint256 maxPay) external payable nonReentrant returns (uint256) {
        StoredOffer storage offer = _offers[offerId];
        address owner = offer.owner;
        if (owner == address(0)) revert FixedRateExchangeUnknownOffer(offerId);
        // The asset's own listing pays whoever owns the asset at the time of the sale.
        if (offer.followsAsset) owner = _assetOwner(offerId);
        address baseToken = offer.baseToken;
        uint256 feeBps = offer.feeBps;
        if (!offer.active) revert FixedRateExchangeOfferPaused(offerId);
        if (amount == 0) revert FixedRateExchangeInvalidAmount(amount);
        uint256 available = offer.deposit;
        if (amount > available) revert FixedRateExchangeInsufficientDeposit(offerId, available, amount);

        (uint256 price, uint256 fee) = _quote(amount, offer.rate, feeBps);
        uint256 cost = price + fee;
        if (cost > maxPay) revert FixedRateExchangeSlippage(cost, maxPay);

        // Effects before interactions.
        // amount <= available < 2**96.
        // forge-lint: disable-next-line(unsafe-typecast)
        offer.deposit = uint96(available - amount);
        _claimable[owner][baseToken] += price;
        if (fee > 0) _claimable[offer.feeCollector][baseToken] += fee;

        if (baseToken == address(0)) {
            if (msg.value < cost) revert FixedRateExchangeInsufficientValue(cost, msg.value);
        } else {
            if (msg.value != 0) revert FixedRateExchangeUnexpectedValue(msg.value);
            _pull(baseToken, cost);
        }
        IERC20(_datatokenOf(offerId)).safeTransfer(msg.sender, amount);
        emit Bought(offerId, msg.sender, amount, price, fee);
        // Refund any native excess last; the guard blocks re-entry.
        if (baseToken == address(0) && msg.value > cost) {
            // msg.value > cost, checked in the condition.
            unchecked {
                Address.sendValue(payable(msg.sender), msg.value - cost);
            }
        }
        return cost;
    }

    /// @inheritdoc IFixedRateExchange
    function withdraw(address token) external nonReentrant returns (uint256 amount) {
        amount = _claimable[msg.sender][token];
        if (amount == 0) revert FixedRateExchangeNothingToWithdraw(msg.sender, token);
        _claimable[msg.sender][token] = 0;
        if (token == address(0)) Address.sendValue(payable(msg.sender), amount);
        else IERC20(token).safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, token, amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IFixedRateExchange
    function quote(uint256 offerId, uint256 amount) external view returns (uint256 price, uint256 fee) {
        StoredOffer storage offer = _offers[offerId];
        if (offer.owner == address(0)) revert FixedRateExchangeUnknownOffer(offerId);
        return _quote(amount, offer.rate, offer.feeBps);
    }

    /// @inheritdoc IFixedRateExchange
    function getOffer(uint256 offerId) external view returns (Offer memory offer) {
        StoredOffer storage stored = _offers[offerId];
        if (stored.owner == address(0)) return offer;
        offer = Offer({
            datatoken: _datatokenOf(offerId),
            deposit: stored.deposit,
            owner: stored.followsAsset ? _assetOwner(offerId) : stored.owner,
            rate: stored.rate,
            baseToken: stored.baseToken,
            feeBps: stored.feeBps,
            active: stored.active,
            feeCollector: stored.feeCollector
        });
    }

    /// @inheritdoc IFixedRateExchange
    function claimable(address account, address token) external view returns (uint256) {
        return _claimable[account][token];
    }

    /// @inheritdoc IFixedRateExchange
    function offerCount() external view returns (uint256) {
        return _offerCount;
    }

    // ---------------------------------------------------------------- internal

    function _createOffer(address owner, OfferParams calldata params, bool followsAsset)
        private
        returns (uint256 offerId)
    {
        if (owner == address(0) || params.datatoken == address(0)) revert FixedRateExchangeInvalidAddress();
        _checkRate(params.rate);
        if (params.feeBps > MAX_FEE_BPS || (params.feeBps > 0 && params.feeCollector == address(0))) {
            revert FixedRateExchangeInvalidFee(params.feeBps, params.feeCollector);
        }
        if (params.deposit > type(uint96).max) revert FixedRateExchangeInvalidAmount(params.deposit);
        uint96 sequence;
        // One offer per call: 2**96 offers cannot be created.
        unchecked {
            sequence = ++_offerCount;
        }
        offerId = (uint256(uint160(params.datatoken)) << 96) | sequence;
        // Ranges checked above.
        _offers[offerId] = StoredOffer({
            owner: owner,
            // forge-lint: disable-next-line(unsafe-typecast)
            deposit: uint96(params.deposit),
            baseToken: params.baseToken,
            // forge-lint: disable-next-line(unsafe-typecast)
            rate: uint96(params.rate),
            feeCollector: params.feeCollector,
            feeBps: params.feeBps,
            active: true,
            followsAsset: followsAsset
        });
        emit OfferCreated(
            offerId,
            params.datatoken,
            owner,
            params.baseToken,
            params.rate,
            params.feeCollector,
            params.feeBps,
            params.deposit
        );
    }

    /// @dev Offer ids are `datatoken << 96 | sequence`: unique (the sequence is), and the datatoken need not be
    /// stored, which keeps an offer at three slots.
    function _datatokenOf(uint256 offerId) private pure returns (address) {
        // The top 160 bits of the id are the datatoken address.
        // forge-lint: disable-next-line(unsafe-typecast)
        return address(uint160(offerId >> 96));
    }

    function _ownedOffer(uint256 offerId) private view returns (StoredOffer storage offer) {
        offer = _offers[offerId];
        address owner = offer.owner;
        if (owner == address(0)) revert FixedRateExchangeUnknownOffer(offerId);
        if (offer.followsAsset) owner = _assetOwner(offerId);
        if (owner != msg.sender) revert FixedRateExchangeNotOfferOwner(offerId, msg.sender);
    }

    /// @dev The current DataNFT owner of the offer's datatoken's asset (for the asset's own listings only: the
    /// factory made them for a genuine Cove datatoken).
    function _assetOwner(uint256 offerId) private view returns (address) {
        return IERC721(IAssetFactory(_factory).dataNFT()).ownerOf(IDatatoken(_datatokenOf(offerId)).assetId());
    }

    /// @dev Pulls `amount` of `token` from the caller and checks that exactly `amount` arrived.
    function _pull(address token, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert FixedRateExchangeTransferMismatch(token, amount, received);
    }

    function _checkRate(uint256 rate) private pure {
        if (rate == 0 || rate > type(uint96).max) revert FixedRateExchangeInvalidRate(rate);
    }

    /// @dev Both rounded up, in the seller's favour: a purchase is never free and the fee never rounds to zero.
    function _quote(uint256 amount, uint256 rate, uint256 feeBps) private pure returns (uint256 price, uint256 fee) {
        price = Math.mulDiv(amount, rate, _RATE_UNIT, Math.Rounding.Ceil);
        fee = Math.mulDiv(price, feeBps, _BPS, Math.Rounding.Ceil);
    }
}
