// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";
import {IDataNFT} from "./interfaces/IDataNFT.sol";

/// @title Datatoken
/// @notice One asset's ERC-20 + ERC-2612 token. See {IDatatoken}.
/// @dev Deployed as EIP-1167 clones with immutable arguments appended to the proxy code (read with EXTCODECOPY on
/// the clone's own address). Layout of the arguments, packed:
/// `uint64 assetId | uint8 nameLength | uint8 symbolLength | uint8 serviceCount | uint32[serviceCount] timeouts |
/// name | symbol`. Everything fixed at publish lives there, so a clone costs code bytes (200 gas each) instead of
/// storage slots (22,100 gas each), and the EIP-712 domain is rebuilt from the clone's own name and address.
///
/// Gas: each account's balance, order nonce and permit nonce share one slot, so an order touches the payer's slot
/// once; the payment collector shares a slot with the total supply. Balances are therefore uint96 (7.9e28 units,
/// 79 billion whole tokens per asset).
contract Datatoken is IDatatoken, IERC20Errors {
    /// @inheritdoc IDatatoken
    uint256 public constant ORDER_AMOUNT = 1e18;

    /// @dev Offset of the immutable arguments in a clone's code (the EIP-1167 proxy is 45 bytes).
    uint256 private constant _ARGS_OFFSET = 0x2d;
    /// @dev Offset of the first service timeout inside the arguments.
    uint256 private constant _TIMEOUTS_OFFSET = 11;
    /// @dev Each service's 4 packed bytes: bit 31 marks a compute service, bits 0..30 hold the timeout.
    uint256 private constant _COMPUTE_FLAG = 1 << 31;
    uint256 private constant _TIMEOUT_MASK = _COMPUTE_FLAG - 1;
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _VERSION_HASH = keccak256("1");
    bytes32 private constant _PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    /// @dev One slot per account.
    struct Account {
        uint96 balance;
        uint64 orderNonce;
        uint64 permitNonce;
    }

    /// @dev One slot; a zero collector means "not initialised" (initialisation requires a collector).
    struct Config {
        address paymentCollector;
        uint96 totalSupply;
    }

    address private immutable _factory;
    address private immutable _dataNFT;
    /// @dev The DataNFT's ComputeReceipts (the only caller of `spendOrder`), read once at deployment: the DataNFT is
    /// deployed before this implementation (see CoveDeployer) and its wiring is immutable.
    address private immutable _computeReceipts;

    Config private _config;
    mapping(address account => Account) private _accounts;
    mapping(address owner => mapping(address spender => uint256)) private _allowances;
    /// @dev Minter grants per ownership epoch: the epoch counts the asset's changes of hands (see `onAssetTransfer`),
    /// so a grant lapses on transfer and never revives, even if the asset returns to the owner who made it.
    mapping(uint256 epoch => mapping(address minter => bool)) private _minters;
    uint256 private _ownerEpoch;
    mapping(bytes32 orderId => OrderInfo) private _orders;

    /// @param factory_ The AssetFactory (the only caller of `initialize`).
    /// @param dataNFT_ The DataNFT collection (ownership of the asset decides who mints).
    constructor(address factory_, address dataNFT_) {
        _factory = factory_;
        _dataNFT = dataNFT_;
        _computeReceipts = IDataNFT(dataNFT_).computeReceipts();
        // Lock the implementation itself: it has no arguments and must never be initialised.
        _config.paymentCollector = address(0xdead);
    }

    // ---------------------------------------------------------------- administration

    /// @inheritdoc IDatatoken
    function initialize(InitParams calldata params) external {
        if (msg.sender != _factory) revert DatatokenOnlyFactory(msg.sender);
        if (_config.paymentCollector != address(0)) revert DatatokenAlreadyInitialized();
        if (params.paymentCollector == address(0)) revert DatatokenInvalidPaymentCollector();
        _config.paymentCollector = params.paymentCollector;
        emit PaymentCollectorSet(params.paymentCollector);
        if (params.initialSupply > 0) _mint(params.initialHolder, params.initialSupply);
    }

    /// @inheritdoc IDatatoken
    function onAssetTransfer(address newOwner) external {
        if (msg.sender != _dataNFT) revert DatatokenOnlyDataNFT(msg.sender);
        // One per transfer: the counter cannot reach 2**256.
        unchecked {
            ++_ownerEpoch;
        }
        // A sale transfers the income: orders pay the new owner from now on (who may set another collector).
        if (newOwner != address(0)) {
            _config.paymentCollector = newOwner;
            emit PaymentCollectorSet(newOwner);
        }
    }

    /// @inheritdoc IDatatoken
    function mint(address to, uint256 amount) external {
        address owner = _assetOwner();
        if (msg.sender != owner && !_minters[_ownerEpoch][msg.sender]) revert DatatokenUnauthorizedMinter(msg.sender);
        _mint(to, amount);
    }

    /// @inheritdoc IDatatoken
    function setMinter(address minter, bool allowed) external {
        address owner = _onlyAssetOwner();
        _minters[_ownerEpoch][minter] = allowed;
        emit MinterSet(owner, minter, allowed);
    }

    /// @inheritdoc IDatatoken
    function setPaymentCollector(address collector) external {
        _onlyAssetOwner();
        if (collector == address(0)) revert DatatokenInvalidPaymentCollector();
        _config.paymentCollector = collector;
        emit PaymentCollectorSet(collector);
    }

    // ---------------------------------------------------------------- orders

    /// @inheritdoc IDatatoken
    function startOrder(address consumer, uint256 serviceId, address provider) external returns (bytes32 orderId) {
        if (consumer == address(0)) revert DatatokenInvalidConsumer();
        if (provider == address(0)) revert DatatokenInvalidProvider();
        uint256 timeout = serviceTimeout(serviceId);
        Account storage payer = _accounts[msg.sender];
        uint64 nonce = payer.orderNonce;
        orderId = _orderId(msg.sender, nonce);
        // 2**64 orders by one payer would cost more gas than exists.
        unchecked {
            payer.orderNonce = nonce + 1;
        }
        _update(msg.sender, _config.paymentCollector, ORDER_AMOUNT);
        // timeout < 2**32 and block.timestamp < 2**40 for millennia: the sum fits in uint64.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 validUntil = uint64(block.timestamp + timeout);
        // serviceId < serviceCount <= MAX_SERVICES, so the cast is exact.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint16 service = uint16(serviceId);
        _orders[orderId] = OrderInfo({provider: provider, validUntil: validUntil, serviceId: service, spent: false});
        emit OrderStarted(orderId, _assetId(), consumer, msg.sender, serviceId, provider, validUntil);
    }

    /// @inheritdoc IDatatoken
    function spendOrder(bytes32 orderId) external returns (OrderInfo memory order, uint256 timeout, bool compute) {
        if (msg.sender != _computeReceipts) revert DatatokenOnlyComputeReceipts(msg.sender);
        OrderInfo storage stored = _orders[orderId];
        order = stored;
        if (order.validUntil == 0) return (order, 0, false);
        stored.spent = true;
        uint256 word = _serviceWord(order.serviceId);
        return (order, word & _TIMEOUT_MASK, word & _COMPUTE_FLAG != 0);
    }

    /// @inheritdoc IDatatoken
    function orderInfo(bytes32 orderId) external view returns (OrderInfo memory) {
        return _orders[orderId];
    }

    /// @inheritdoc IDatatoken
    function nextOrderId(address payer) external view returns (bytes32) {
        return _orderId(payer, _accounts[payer].orderNonce);
    }

    /// @inheritdoc IDatatoken
    function orderNonce(address payer) external view returns (uint256) {
        return _accounts[payer].orderNonce;
    }

    // ---------------------------------------------------------------- ERC-20

    /// @inheritdoc IERC20
    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// @inheritdoc IERC20
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        _spendAllowance(from, msg.sender, value);
        _transfer(from, to, value);
        return true;
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }

    /// @inheritdoc IERC20Permit
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DatatokenPermitExpired(deadline);
        Account storage account = _accounts[owner];
        uint64 nonce = account.permitNonce;
        bytes32 structHash = keccak256(abi.encode(_PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        address signer = ECDSA.recover(MessageHashUtils.toTypedDataHash(DOMAIN_SEPARATOR(), structHash), v, r, s);
        if (signer != owner) revert DatatokenInvalidPermitSigner(signer, owner);
        // One signature per increment: 2**64 permits cannot happen.
        unchecked {
            account.permitNonce = nonce + 1;
        }
        _approve(owner, spender, value);
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) external view returns (uint256) {
        return _accounts[owner].permitNonce;
    }

    /// @inheritdoc IERC20Permit
    // forge-lint: disable-next-line(mixed-case-function)
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return
            keccak256(
                abi.encode(_DOMAIN_TYPEHASH, keccak256(bytes(name())), _VERSION_HASH, block.chainid, address(this))
            );
    }

    /// @notice ERC-5267 description of the permit domain.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name_,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", name(), "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @inheritdoc IERC20
    function totalSupply() external view returns (uint256) {
        return _config.totalSupply;
    }

    /// @inheritdoc IERC20Metadata
    function name() public view returns (string memory) {
        (uint256 nameLength,, uint256 count) = _header();
        return string(_readArgs(_TIMEOUTS_OFFSET + 4 * count, nameLength));
    }

    /// @inheritdoc IERC20Metadata
    function symbol() external view returns (string memory) {
        (uint256 nameLength, uint256 symbolLength, uint256 count) = _header();
        return string(_readArgs(_TIMEOUTS_OFFSET + 4 * count + nameLength, symbolLength));
    }

    /// @inheritdoc IERC20Metadata
    function decimals() external pure returns (uint8) {
        return 18;
    }

    // ---------------------------------------------------------------- configuration views

    /// @inheritdoc IDatatoken
    function assetId() external view returns (uint256) {
        return _assetId();
    }

    /// @inheritdoc IDatatoken
    function dataNFT() external view returns (address) {
        return _dataNFT;
    }

    /// @inheritdoc IDatatoken
    function paymentCollector() external view returns (address) {
        return _config.paymentCollector;
    }

    /// @inheritdoc IDatatoken
    function isMinter(address account) external view returns (bool) {
        address owner = _assetOwner();
        return account == owner || _minters[_ownerEpoch][account];
    }

    /// @inheritdoc IDatatoken
    function serviceCount() public view returns (uint256) {
        (,, uint256 count) = _header();
        return count;
    }

    /// @inheritdoc IDatatoken
    function serviceTimeout(uint256 serviceId) public view returns (uint256) {
        return _serviceWord(serviceId) & _TIMEOUT_MASK;
    }

    /// @inheritdoc IDatatoken
    function isComputeService(uint256 serviceId) external view returns (bool) {
        return _serviceWord(serviceId) & _COMPUTE_FLAG != 0;
    }

    // ---------------------------------------------------------------- internal

    function _transfer(address from, address to, uint256 value) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _update(from, to, value);
    }

    function _mint(address to, uint256 value) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _update(address(0), to, value);
    }

    /// @dev Every balance change goes through here (`from == 0` mints). The supply is capped at uint96, and every
    /// balance is at most the supply, so the unchecked additions below cannot overflow.
    function _update(address from, address to, uint256 value) private {
        if (from == address(0)) {
            uint256 supply = _config.totalSupply;
            if (value > type(uint96).max - supply) {
                revert DatatokenSupplyCapExceeded(supply, value, type(uint96).max);
            }
            // Checked just above: supply + value <= type(uint96).max.
            // forge-lint: disable-next-line(unsafe-typecast)
            _config.totalSupply = uint96(supply + value);
        } else {
            Account storage sender = _accounts[from];
            uint256 balance = sender.balance;
            if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
            // value <= balance < 2**96.
            unchecked {
                // forge-lint: disable-next-line(unsafe-typecast)
                sender.balance = uint96(balance - value);
            }
        }
        Account storage recipient = _accounts[to];
        // balance + value <= totalSupply <= type(uint96).max.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            recipient.balance = uint96(recipient.balance + value);
        }
        emit Transfer(from, to, value);
    }

    function _approve(address owner, address spender, uint256 value) private {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    /// @dev An infinite allowance is never decreased (as in OpenZeppelin's ERC20).
    function _spendAllowance(address owner, address spender, uint256 value) private {
        uint256 current = _allowances[owner][spender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(spender, current, value);
            // current >= value, checked above.
            unchecked {
                _allowances[owner][spender] = current - value;
            }
        }
    }

    function _orderId(address payer, uint256 nonce) private view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), payer, nonce));
    }

    function _assetOwner() private view returns (address) {
        return IERC721(_dataNFT).ownerOf(_assetId());
    }

    function _onlyAssetOwner() private view returns (address owner) {
        owner = _assetOwner();
        if (msg.sender != owner) revert DatatokenNotAssetOwner(msg.sender, owner);
    }

    function _assetId() private view returns (uint256) {
        return uint256(_readWord(0) >> 192);
    }

    /// @dev A service's packed 4 bytes: its timeout in the low 31 bits, the compute flag in the top bit.
    function _serviceWord(uint256 serviceId) private view returns (uint256) {
        uint256 count = serviceCount();
        if (serviceId >= count) revert DatatokenUnknownService(serviceId, count);
        return uint256(_readWord(_TIMEOUTS_OFFSET + 4 * serviceId) >> 224);
    }

    /// @dev (name length, symbol length, service count) from the arguments header.
    function _header() private view returns (uint256 nameLength, uint256 symbolLength, uint256 count) {
        uint256 word = uint256(_readWord(8));
        nameLength = word >> 248;
        symbolLength = (word >> 240) & 0xff;
        count = (word >> 232) & 0xff;
    }

    /// @dev 32 bytes of the immutable arguments starting at `offset` (zero-padded past the end of the code).
    function _readWord(uint256 offset) private view returns (bytes32 word) {
        assembly ("memory-safe") {
            extcodecopy(address(), 0x00, add(_ARGS_OFFSET, offset), 0x20)
            word := mload(0x00)
        }
    }

    function _readArgs(uint256 offset, uint256 length) private view returns (bytes memory data) {
        data = new bytes(length);
        assembly ("memory-safe") {
            extcodecopy(address(), add(data, 0x20), add(_ARGS_OFFSET, offset), length)
        }
    }
}
