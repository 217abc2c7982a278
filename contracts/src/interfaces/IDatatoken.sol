// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title Cove datatoken
/// @notice ERC-20 + ERC-2612 token of one asset, deployed as an EIP-1167 clone with immutable arguments (asset id,
/// name, symbol, service timeouts). Spending one token (1e18 units) through `startOrder` buys one order.
///
/// Order ids are derivable before sending:
/// `orderId = keccak256(abi.encode(block.chainid, datatoken, payer, payerOrderNonce))`, where the nonce is
/// `orderNonce(payer)` before the call (see `nextOrderId`).
interface IDatatoken is IERC20Metadata, IERC20Permit {
    /// @notice One recorded order, packed in one storage slot.
    /// @param provider The provider named by the payer.
    /// @param validUntil Unix time after which the order is expired; 0 means the order does not exist.
    /// @param serviceId The service ordered (index into the asset's services).
    /// @param spent Whether a job receipt has spent the order (set once, by ComputeReceipts only).
    struct OrderInfo {
        address provider;
        uint64 validUntil;
        uint16 serviceId;
        bool spent;
    }

    /// @notice What the factory passes to `initialize`.
    /// @param paymentCollector Receives the token spent by each order.
    /// @param initialHolder Receives `initialSupply`.
    /// @param initialSupply Tokens minted at publish.
    struct InitParams {
        address paymentCollector;
        address initialHolder;
        uint256 initialSupply;
    }

    /// @notice Only the factory initialises clones.
    error DatatokenOnlyFactory(address caller);
    /// @notice Only the DataNFT reports a change of the asset's owner.
    error DatatokenOnlyDataNFT(address caller);
    /// @notice The clone was already initialised (or this is the implementation).
    error DatatokenAlreadyInitialized();
    /// @notice `caller` is not the asset owner.
    error DatatokenNotAssetOwner(address caller, address owner);
    /// @notice `caller` is neither the asset owner nor a minter the owner granted.
    error DatatokenUnauthorizedMinter(address caller);
    /// @notice Minting `amount` would push the supply past `cap` (balances are stored as uint96).
    error DatatokenSupplyCapExceeded(uint256 totalSupply, uint256 amount, uint256 cap);
    /// @notice The service id is not one of the asset's services.
    error DatatokenUnknownService(uint256 serviceId, uint256 serviceCount);
    /// @notice The consumer must not be the zero address.
    error DatatokenInvalidConsumer();
    /// @notice The provider must not be the zero address.
    error DatatokenInvalidProvider();
    /// @notice The payment collector must not be the zero address.
    error DatatokenInvalidPaymentCollector();
    /// @notice The permit's deadline passed.
    error DatatokenPermitExpired(uint256 deadline);
    /// @notice The permit was not signed by `owner`.
    error DatatokenInvalidPermitSigner(address signer, address owner);
    /// @notice Only the DataNFT's ComputeReceipts contract spends orders.
    error DatatokenOnlyComputeReceipts(address caller);

    /// @notice One order was paid: exactly one token moved from `payer` to the payment collector.
    /// @param orderId `keccak256(abi.encode(chainid, datatoken, payer, nonce))`.
    /// @param assetId The asset (DataNFT token id).
    /// @param consumer Who may use the order.
    /// @param payer Who paid (msg.sender).
    /// @param serviceId The service ordered.
    /// @param provider The provider named for the job.
    /// @param validUntil Unix time the order expires.
    event OrderStarted(
        bytes32 indexed orderId,
        uint256 indexed assetId,
        address indexed consumer,
        address payer,
        uint256 serviceId,
        address provider,
        uint64 validUntil
    );
    /// @notice The owner granted or revoked a minter (grants are tied to the owner that made them).
    event MinterSet(address indexed owner, address indexed minter, bool allowed);
    /// @notice The payment collector changed.
    event PaymentCollectorSet(address indexed paymentCollector);

    /// @notice Sets the payment collector and mints the initial supply, once. Factory only.
    function initialize(InitParams calldata params) external;

    /// @notice Called by the DataNFT when the asset changes hands: starts a new ownership epoch, so every minter grant
    /// of earlier owners lapses for good (even if the asset returns to them), and makes the new owner the payment
    /// collector.
    function onAssetTransfer(address newOwner) external;

    /// @notice Mints `amount` to `to` (asset owner or a granted minter).
    function mint(address to, uint256 amount) external;

    /// @notice Grants or revokes `minter` (asset owner only). Grants lapse when the asset changes hands.
    function setMinter(address minter, bool allowed) external;

    /// @notice Sets who receives order payments (asset owner only).
    function setPaymentCollector(address paymentCollector) external;

    /// @notice Pays one order: moves exactly 1e18 units from the caller to the payment collector and records the
    /// order for `consumer`, `serviceId` and `provider`, valid for the service's timeout.
    /// @return orderId The new order's id (also derivable beforehand through `nextOrderId`).
    function startOrder(address consumer, uint256 serviceId, address provider) external returns (bytes32 orderId);

    /// @notice Marks an order spent by a job receipt, in the order's own slot (ComputeReceipts only). Returns the
    /// order as it was before (so the caller can refuse an unknown or spent one, which reverts the mark), the timeout
    /// and whether its service is a compute service.
    function spendOrder(bytes32 orderId) external returns (OrderInfo memory order, uint256 timeout, bool compute);

    /// @notice The recorded order (`validUntil == 0` when unknown).
    function orderInfo(bytes32 orderId) external view returns (OrderInfo memory);
    /// @notice The id `payer`'s next `startOrder` will get.
    function nextOrderId(address payer) external view returns (bytes32);
    /// @notice How many orders `payer` has started.
    function orderNonce(address payer) external view returns (uint256);
    /// @notice Units spent by one order (1e18).
    function ORDER_AMOUNT() external view returns (uint256);
    /// @notice The asset (DataNFT token id).
    function assetId() external view returns (uint256);
    /// @notice The DataNFT collection.
    function dataNFT() external view returns (address);
    /// @notice Who receives order payments.
    function paymentCollector() external view returns (address);
    /// @notice Whether `account` may mint (the current asset owner's grant).
    function isMinter(address account) external view returns (bool);
    /// @notice Number of services; ids are `0 .. serviceCount-1`.
    function serviceCount() external view returns (uint256);
    /// @notice Order timeout of a service, in seconds.
    function serviceTimeout(uint256 serviceId) external view returns (uint256);
    /// @notice Whether a service is a compute service (only their orders can be spent by job receipts).
    function isComputeService(uint256 serviceId) external view returns (bool);
}
