// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Fixed-rate datatoken exchange
/// @notice Sells deposited datatokens for an ERC-20 or the native coin (`baseToken == address(0)`) at a fixed rate.
///
/// Rate precision: `rate` is the price of one whole datatoken (1e18 units) in base-token units, i.e. an 18-decimal
/// fixed-point number. Buying `amount` datatoken units costs `price = ceil(amount * rate / 1e18)` plus a marketplace
/// fee `fee = ceil(price * feeBps / 10_000)` paid on top; `price` accrues to the offer owner and `fee` to the offer's
/// fee collector, both withdrawn with `withdraw`.
///
/// Offer ids are `uint256(uint160(datatoken)) << 96 | sequence` (sequence counts offers from 1), so the datatoken is
/// readable from the id itself.
///
/// Datatokens sold come from the offer's deposit held by this contract (not from an allowance on the owner's wallet),
/// so a sale never fails because the owner moved tokens. Base tokens are accounted by balance delta: a transfer that
/// delivers less than asked (fee-on-transfer) reverts.
interface IFixedRateExchange {
    /// @notice An offer (all fields zero when unknown).
    struct Offer {
        address datatoken;
        uint96 deposit;
        address owner;
        uint96 rate;
        address baseToken;
        uint16 feeBps;
        bool active;
        address feeCollector;
    }

    /// @notice Parameters of a new offer.
    /// @param datatoken The token sold.
    /// @param baseToken The token paid (zero = native coin).
    /// @param rate Base-token units per 1e18 datatoken units (18-decimal fixed point), at most `type(uint96).max`.
    /// @param feeCollector Receives the marketplace fee (required when `feeBps > 0`).
    /// @param feeBps Marketplace fee in basis points, at most `MAX_FEE_BPS`.
    /// @param deposit Datatoken units deposited for sale.
    struct OfferParams {
        address datatoken;
        address baseToken;
        uint256 rate;
        address feeCollector;
        uint16 feeBps;
        uint256 deposit;
    }

    /// @notice Only the factory creates offers on someone else's behalf.
    error FixedRateExchangeOnlyFactory(address caller);
    /// @notice No such offer.
    error FixedRateExchangeUnknownOffer(uint256 offerId);
    /// @notice `caller` is not the offer owner.
    error FixedRateExchangeNotOfferOwner(uint256 offerId, address caller);
    /// @notice The offer is paused.
    error FixedRateExchangeOfferPaused(uint256 offerId);
    /// @notice Rate zero or above `type(uint96).max`.
    error FixedRateExchangeInvalidRate(uint256 rate);
    /// @notice Fee above the cap, or a fee without a collector.
    error FixedRateExchangeInvalidFee(uint256 feeBps, address feeCollector);
    /// @notice Datatoken or owner is the zero address.
    error FixedRateExchangeInvalidAddress();
    /// @notice Amount zero or too large.
    error FixedRateExchangeInvalidAmount(uint256 amount);
    /// @notice The offer holds fewer datatokens than asked.
    error FixedRateExchangeInsufficientDeposit(uint256 offerId, uint256 available, uint256 requested);
    /// @notice The total cost exceeds the buyer's `maxPay`.
    error FixedRateExchangeSlippage(uint256 cost, uint256 maxPay);
    /// @notice Native payment below the cost.
    error FixedRateExchangeInsufficientValue(uint256 cost, uint256 value);
    /// @notice Native coin sent to an ERC-20 offer.
    error FixedRateExchangeUnexpectedValue(uint256 value);
    /// @notice A token transfer delivered `received` instead of `expected` (fee-on-transfer tokens are refused).
    error FixedRateExchangeTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice Nothing to withdraw.
    error FixedRateExchangeNothingToWithdraw(address account, address token);

    /// @notice A new offer.
    event OfferCreated(
        uint256 indexed offerId,
        address indexed datatoken,
        address indexed owner,
        address baseToken,
        uint256 rate,
        address feeCollector,
        uint16 feeBps,
        uint256 deposit
    );
    /// @notice Datatokens were bought: the buyer paid `price + fee` base-token units.
    event Bought(uint256 indexed offerId, address indexed buyer, uint256 amount, uint256 price, uint256 fee);
    /// @notice The owner changed the rate.
    event RateChanged(uint256 indexed offerId, uint256 rate);
    /// @notice The owner paused (`active == false`) or resumed the offer.
    event ActiveSet(uint256 indexed offerId, bool active);
    /// @notice The owner added datatokens to the deposit.
    event Deposited(uint256 indexed offerId, uint256 amount);
    /// @notice The owner took datatokens back from the deposit.
    event DepositWithdrawn(uint256 indexed offerId, uint256 amount);
    /// @notice An owner or fee collector withdrew what accrued to them.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice Creates an offer owned by the caller; pulls `params.deposit` from the caller (approve first).
    function createOffer(OfferParams calldata params) external returns (uint256 offerId);
    /// @notice Creates an offer owned by `owner` whose deposit the factory already minted to this contract.
    function createOfferFor(address owner, OfferParams calldata params) external returns (uint256 offerId);
    /// @notice Buys `amount` datatoken units; reverts when the total cost exceeds `maxPay`. For native offers send at
    /// least the cost as value; the excess is refunded.
    /// @return cost What the buyer paid (price + fee).
    function buy(uint256 offerId, uint256 amount, uint256 maxPay) external payable returns (uint256 cost);
    /// @notice Changes the rate (owner only).
    function setRate(uint256 offerId, uint256 rate) external;
    /// @notice Pauses or resumes the offer (owner only).
    function setActive(uint256 offerId, bool active) external;
    /// @notice Adds datatokens to the deposit (owner only; pulls from the caller).
    function deposit(uint256 offerId, uint256 amount) external;
    /// @notice Takes datatokens back from the deposit (owner only).
    function withdrawDeposit(uint256 offerId, uint256 amount) external;
    /// @notice Sends the caller everything accrued to them in `token` (zero = native).
    function withdraw(address token) external returns (uint256 amount);

    /// @notice Price and fee of `amount` datatoken units at the offer's current rate.
    function quote(uint256 offerId, uint256 amount) external view returns (uint256 price, uint256 fee);
    /// @notice The offer.
    function getOffer(uint256 offerId) external view returns (Offer memory);
    /// @notice What `account` can withdraw in `token`.
    function claimable(address account, address token) external view returns (uint256);
    /// @notice Number of offers created (the sequence part of the last id).
    function offerCount() external view returns (uint256);
    /// @notice Maximum marketplace fee, in basis points.
    function MAX_FEE_BPS() external view returns (uint16);
}
