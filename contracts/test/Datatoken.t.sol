// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IDatatoken} from "../src/interfaces/IDatatoken.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

contract DatatokenTest is CoveFixture {
    uint256 internal assetId;
    Datatoken internal dt;

    function setUp() public override {
        super.setUp();
        (assetId, dt) = _publishDataset();
    }

    // ------------------------------------------------------------ configuration

    function test_clone_exposesItsImmutableArguments() public view {
        vm.assertEq(dt.name(), "Cove Iris Dataset");
        vm.assertEq(dt.symbol(), "IRIS");
        vm.assertEq(dt.decimals(), 18);
        vm.assertEq(dt.assetId(), assetId);
        vm.assertEq(dt.dataNFT(), address(dataNFT));
        vm.assertEq(dt.serviceCount(), 2);
        vm.assertEq(dt.serviceTimeout(0), COMPUTE_TIMEOUT);
        vm.assertEq(dt.serviceTimeout(1), ACCESS_TIMEOUT);
        vm.assertEq(dt.paymentCollector(), publisher);
        vm.assertEq(dt.totalSupply(), 100 * ONE);
        vm.assertEq(dt.balanceOf(publisher), 100 * ONE);
        vm.assertEq(dt.ORDER_AMOUNT(), ONE);
    }

    function test_serviceTimeout_revertsIfUnknownService() public {
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnknownService.selector, 2, 2));
        dt.serviceTimeout(2);
    }

    function test_initialize_revertsIfNotFactory() public {
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenOnlyFactory.selector, address(this)));
        dt.initialize(IDatatoken.InitParams(publisher, publisher, ONE));
    }

    function test_initialize_revertsIfAlreadyInitialized() public {
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenAlreadyInitialized.selector));
        dt.initialize(IDatatoken.InitParams(publisher, publisher, ONE));
    }

    function test_initialize_revertsOnTheImplementation() public {
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenAlreadyInitialized.selector));
        datatokenImplementation.initialize(IDatatoken.InitParams(publisher, publisher, ONE));
    }

    function test_initialize_revertsIfZeroCollector() public {
        Datatoken fresh = Datatoken(
            Clones.cloneWithImmutableArgs(
                address(datatokenImplementation), abi.encodePacked(uint64(assetId), uint8(1), uint8(1), uint8(0), "NN")
            )
        );
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidPaymentCollector.selector));
        fresh.initialize(IDatatoken.InitParams(address(0), publisher, ONE));
    }

    // ------------------------------------------------------------ minting and roles

    function test_mint_byAssetOwner() public {
        vm.expectEmit(address(dt));
        emit IERC20.Transfer(address(0), buyer, 5 * ONE);
        vm.prank(publisher);
        dt.mint(buyer, 5 * ONE);
        vm.assertEq(dt.balanceOf(buyer), 5 * ONE);
        vm.assertEq(dt.totalSupply(), 105 * ONE);
    }

    function test_mint_byGrantedMinter() public {
        vm.expectEmit(address(dt));
        emit IDatatoken.MinterSet(publisher, marketplace, true);
        vm.prank(publisher);
        dt.setMinter(marketplace, true);
        vm.assertTrue(dt.isMinter(marketplace));
        vm.prank(marketplace);
        dt.mint(buyer, ONE);
        vm.assertEq(dt.balanceOf(buyer), ONE);
    }

    function test_mint_revertsIfUnauthorized() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnauthorizedMinter.selector, stranger));
        dt.mint(stranger, ONE);
    }

    function test_mint_revertsIfRevokedMinter() public {
        vm.startPrank(publisher);
        dt.setMinter(marketplace, true);
        dt.setMinter(marketplace, false);
        vm.stopPrank();
        vm.prank(marketplace);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnauthorizedMinter.selector, marketplace));
        dt.mint(marketplace, ONE);
    }

    function test_mint_revertsIfSupplyCapExceeded() public {
        uint256 cap = type(uint96).max;
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenSupplyCapExceeded.selector, 100 * ONE, cap, cap));
        dt.mint(buyer, cap);
    }

    function test_mint_revertsIfZeroReceiver() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        dt.mint(address(0), ONE);
    }

    function test_minterGrants_lapseWhenTheAssetChangesHands() public {
        vm.startPrank(publisher);
        dt.setMinter(marketplace, true);
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.stopPrank();
        vm.assertFalse(dt.isMinter(marketplace));
        vm.assertTrue(dt.isMinter(buyer));
        vm.prank(marketplace);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnauthorizedMinter.selector, marketplace));
        dt.mint(marketplace, ONE);
    }

    /// @dev Issue 12: grants were keyed by the owner who made them, so they came back to life when the asset
    /// returned to that owner. They are tied to an ownership epoch now and stay lapsed.
    function test_attack_minterGrantRevivesWhenTheAssetReturns() public {
        vm.startPrank(publisher);
        dt.setMinter(marketplace, true);
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.stopPrank();
        vm.prank(buyer);
        dataNFT.transferFrom(buyer, publisher, assetId);
        vm.assertFalse(dt.isMinter(marketplace));
        vm.prank(marketplace);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnauthorizedMinter.selector, marketplace));
        dt.mint(marketplace, ONE);
        // A fresh grant by the returning owner works.
        vm.prank(publisher);
        dt.setMinter(marketplace, true);
        vm.prank(marketplace);
        dt.mint(marketplace, ONE);
    }

    /// @dev Issue 12: selling the DataNFT left the payment collector with the seller, so orders kept paying them.
    /// A change of hands resets it to the new owner (who may then set another).
    function test_attack_saleLeavesThePaymentCollectorWithTheSeller() public {
        vm.prank(publisher);
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.assertEq(dt.paymentCollector(), buyer);
    }

    function test_onAssetTransfer_onlyTheDataNFT() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenOnlyDataNFT.selector, stranger));
        dt.onAssetTransfer(stranger);
    }

    function test_setMinter_revertsIfNotAssetOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenNotAssetOwner.selector, stranger, publisher));
        dt.setMinter(stranger, true);
    }

    function test_setPaymentCollector_byOwner() public {
        vm.expectEmit(address(dt));
        emit IDatatoken.PaymentCollectorSet(marketplace);
        vm.prank(publisher);
        dt.setPaymentCollector(marketplace);
        vm.assertEq(dt.paymentCollector(), marketplace);
    }

    function test_setPaymentCollector_revertsIfNotAssetOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenNotAssetOwner.selector, stranger, publisher));
        dt.setPaymentCollector(stranger);
    }

    function test_setPaymentCollector_revertsIfZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidPaymentCollector.selector));
        dt.setPaymentCollector(address(0));
    }

    // ------------------------------------------------------------ orders

    function test_startOrder_movesOneTokenAndRecordsTheOrder() public {
        vm.prank(publisher);
        dt.transfer(buyer, 2 * ONE);
        bytes32 expected = keccak256(abi.encode(block.chainid, address(dt), buyer, uint256(0)));
        vm.assertEq(dt.nextOrderId(buyer), expected);
        uint64 validUntil = uint64(block.timestamp + COMPUTE_TIMEOUT);

        vm.expectEmit(address(dt));
        emit IERC20.Transfer(buyer, publisher, ONE);
        vm.expectEmit(address(dt));
        emit IDatatoken.OrderStarted(expected, assetId, consumer, buyer, 0, provider, validUntil);
        vm.prank(buyer);
        bytes32 orderId = dt.startOrder(consumer, 0, provider);

        vm.assertEq(orderId, expected);
        vm.assertEq(dt.balanceOf(buyer), ONE);
        vm.assertEq(dt.balanceOf(publisher), 99 * ONE);
        vm.assertEq(dt.orderNonce(buyer), 1);
        IDatatoken.OrderInfo memory info = dt.orderInfo(orderId);
        vm.assertEq(info.provider, provider);
        vm.assertEq(info.validUntil, validUntil);
        vm.assertEq(info.serviceId, 0);
        vm.assertFalse(info.spent);
        vm.assertTrue(dt.nextOrderId(buyer) != orderId);
    }

    function test_startOrder_usesTheServiceTimeout() public {
        vm.prank(publisher);
        bytes32 orderId = dt.startOrder(consumer, 1, provider);
        IDatatoken.OrderInfo memory info = dt.orderInfo(orderId);
        vm.assertEq(info.validUntil, block.timestamp + ACCESS_TIMEOUT);
        vm.assertEq(info.serviceId, 1);
    }

    function test_startOrder_paysTheCollector() public {
        vm.prank(publisher);
        dt.setPaymentCollector(marketplace);
        _order(dt, buyer, provider);
        vm.assertEq(dt.balanceOf(marketplace), ONE);
    }

    function test_startOrder_revertsIfUnknownService() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnknownService.selector, 5, 2));
        dt.startOrder(consumer, 5, provider);
    }

    function test_startOrder_revertsIfZeroConsumer() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidConsumer.selector));
        dt.startOrder(address(0), 0, provider);
    }

    function test_startOrder_revertsIfZeroProvider() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidProvider.selector));
        dt.startOrder(consumer, 0, address(0));
    }

    function test_startOrder_revertsIfBalanceBelowOneToken() public {
        vm.prank(publisher);
        dt.transfer(buyer, ONE - 1);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, buyer, ONE - 1, ONE));
        dt.startOrder(consumer, 0, provider);
    }

    function test_isComputeService_followsThePublishedBitmask() public {
        vm.assertTrue(dt.isComputeService(0));
        vm.assertFalse(dt.isComputeService(1));
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenUnknownService.selector, 2, 2));
        dt.isComputeService(2);
    }

    function test_spendOrder_onlyComputeReceipts() public {
        _registerProvider();
        bytes32 orderId = _order(dt, buyer, provider);
        address[4] memory callers = [stranger, publisher, address(factory), address(dataNFT)];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenOnlyComputeReceipts.selector, callers[i]));
            dt.spendOrder(orderId);
        }
        vm.assertFalse(dt.orderInfo(orderId).spent);
    }

    /// @dev ComputeReceipts gets the order as it was, then finds it spent on a second call; an unknown order stays
    /// unknown (nothing is written for it).
    function test_spendOrder_marksTheOrderSpentInPlace() public {
        bytes32 orderId = _order(dt, buyer, provider);
        IDatatoken.OrderInfo memory before = dt.orderInfo(orderId);
        vm.prank(address(receipts));
        (IDatatoken.OrderInfo memory o, uint256 timeout, bool compute) = dt.spendOrder(orderId);
        vm.assertFalse(o.spent);
        vm.assertEq(o.provider, provider);
        vm.assertEq(uint256(o.validUntil), uint256(before.validUntil));
        vm.assertEq(timeout, COMPUTE_TIMEOUT);
        vm.assertTrue(compute);
        IDatatoken.OrderInfo memory after_ = dt.orderInfo(orderId);
        vm.assertTrue(after_.spent);
        vm.assertEq(after_.provider, provider);
        vm.assertEq(uint256(after_.validUntil), uint256(before.validUntil));
        vm.assertEq(uint256(after_.serviceId), 0);
        vm.prank(address(receipts));
        (o,,) = dt.spendOrder(orderId);
        vm.assertTrue(o.spent);

        bytes32 unknown = keccak256("unknown");
        vm.prank(address(receipts));
        (o, timeout, compute) = dt.spendOrder(unknown);
        vm.assertEq(uint256(o.validUntil), 0);
        vm.assertFalse(compute);
        vm.assertEq(uint256(dt.orderInfo(unknown).validUntil), 0);
        vm.assertFalse(dt.orderInfo(unknown).spent);
    }

    function test_spendOrder_reportsAnAccessService() public {
        vm.prank(publisher);
        bytes32 orderId = dt.startOrder(consumer, 1, provider);
        vm.prank(address(receipts));
        (, uint256 timeout, bool compute) = dt.spendOrder(orderId);
        vm.assertEq(timeout, ACCESS_TIMEOUT);
        vm.assertFalse(compute);
    }

    function test_orderInfo_unknownOrderHasZeroValidUntil() public view {
        vm.assertEq(dt.orderInfo(keccak256("nope")).validUntil, 0);
    }

    function testFuzz_startOrder_accounting(uint8 rawOrders, uint8 rawPayers) public {
        uint256 orders = bound(rawOrders, 1, 30);
        uint256 payers = bound(rawPayers, 1, 4);
        for (uint256 i; i < orders; ++i) {
            address payer = address(uint160(0x1000 + (i % payers)));
            bytes32 expected = dt.nextOrderId(payer);
            bytes32 orderId = _order(dt, payer, provider);
            vm.assertEq(orderId, expected);
            vm.assertGt(dt.orderInfo(orderId).validUntil, 0);
        }
        vm.assertEq(dt.balanceOf(publisher), 100 * ONE);
        vm.assertEq(dt.totalSupply(), 100 * ONE);
        uint256 sum;
        for (uint256 p; p < payers; ++p) {
            sum += dt.orderNonce(address(uint160(0x1000 + p)));
        }
        vm.assertEq(sum, orders);
    }

    // ------------------------------------------------------------ ERC-20

    function test_transferFrom_spendsAllowance() public {
        vm.expectEmit(address(dt));
        emit IERC20.Approval(publisher, buyer, 3 * ONE);
        vm.prank(publisher);
        dt.approve(buyer, 3 * ONE);
        vm.prank(buyer);
        dt.transferFrom(publisher, consumer, 2 * ONE);
        vm.assertEq(dt.allowance(publisher, buyer), ONE);
        vm.assertEq(dt.balanceOf(consumer), 2 * ONE);
    }

    function test_transferFrom_keepsAnInfiniteAllowance() public {
        vm.prank(publisher);
        dt.approve(buyer, type(uint256).max);
        vm.prank(buyer);
        dt.transferFrom(publisher, consumer, ONE);
        vm.assertEq(dt.allowance(publisher, buyer), type(uint256).max);
    }

    function test_transferFrom_revertsIfAllowanceTooLow() public {
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, buyer, 0, ONE));
        dt.transferFrom(publisher, buyer, ONE);
    }

    function test_transfer_revertsIfToZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        dt.transfer(address(0), ONE);
    }

    function test_transfer_revertsIfBalanceTooLow() public {
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, buyer, 0, 1));
        dt.transfer(consumer, 1);
    }

    function test_approve_revertsIfZeroSpender() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidSpender.selector, address(0)));
        dt.approve(address(0), 1);
    }

    function testFuzz_transfer_conservesSupply(uint256 amount, address to) public {
        vm.assume(to != address(0) && to != publisher);
        amount = bound(amount, 0, 100 * ONE);
        vm.prank(publisher);
        dt.transfer(to, amount);
        vm.assertEq(dt.balanceOf(to) + dt.balanceOf(publisher), 100 * ONE);
    }

    // ------------------------------------------------------------ ERC-2612

    function test_permit_setsAllowanceAndBumpsNonce() public {
        (address owner, uint256 key) = makeAddrAndKey("permit owner");
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(dt, owner, buyer, 7, 0, deadline));
        vm.expectEmit(address(dt));
        emit IERC20.Approval(owner, buyer, 7);
        dt.permit(owner, buyer, 7, deadline, v, r, s);
        vm.assertEq(dt.allowance(owner, buyer), 7);
        vm.assertEq(dt.nonces(owner), 1);
    }

    function test_permit_revertsOnReplay() public {
        (address owner, uint256 key) = makeAddrAndKey("permit owner");
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(dt, owner, buyer, 7, 0, deadline));
        dt.permit(owner, buyer, 7, deadline, v, r, s);
        // The nonce moved on, so the same signature now recovers to an unrelated address.
        address recovered = ecrecover(_permitDigest(dt, owner, buyer, 7, 1, deadline), v, r, s);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidPermitSigner.selector, recovered, owner));
        dt.permit(owner, buyer, 7, deadline, v, r, s);
    }

    function test_permit_revertsIfExpired() public {
        (address owner, uint256 key) = makeAddrAndKey("permit owner");
        uint256 deadline = block.timestamp - 1;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(dt, owner, buyer, 7, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenPermitExpired.selector, deadline));
        dt.permit(owner, buyer, 7, deadline, v, r, s);
    }

    function test_permit_revertsIfSignedByAnotherKey() public {
        (address owner,) = makeAddrAndKey("permit owner");
        uint256 deadline = block.timestamp + 1;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(strangerKey, _permitDigest(dt, owner, buyer, 7, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidPermitSigner.selector, stranger, owner));
        dt.permit(owner, buyer, 7, deadline, v, r, s);
    }

    function test_permit_isBoundToTheClone() public {
        (, Datatoken other) = _publishDataset();
        vm.assertTrue(other.DOMAIN_SEPARATOR() != dt.DOMAIN_SEPARATOR());
        (address owner, uint256 key) = makeAddrAndKey("permit owner");
        uint256 deadline = block.timestamp + 1;
        // Signed for `dt`, submitted to `other`: recovers to some other address.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(dt, owner, buyer, 7, 0, deadline));
        address recovered = ecrecover(_permitDigest(other, owner, buyer, 7, 0, deadline), v, r, s);
        vm.expectRevert(abi.encodeWithSelector(IDatatoken.DatatokenInvalidPermitSigner.selector, recovered, owner));
        other.permit(owner, buyer, 7, deadline, v, r, s);
        vm.assertEq(other.allowance(owner, buyer), 0);
    }

    function test_eip712Domain_describesTheClone() public view {
        (bytes1 fields, string memory name_, string memory version, uint256 chainId, address verifying,,) =
            dt.eip712Domain();
        vm.assertEq(uint256(uint8(fields)), 0x0f);
        vm.assertEq(name_, "Cove Iris Dataset");
        vm.assertEq(version, "1");
        vm.assertEq(chainId, block.chainid);
        vm.assertEq(verifying, address(dt));
    }

    function _permitDigest(Datatoken token, address owner, address spender, uint256 value, uint256 nonce, uint256 dl)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                owner,
                spender,
                value,
                nonce,
                dl
            )
        );
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(token.name())),
                keccak256("1"),
                block.chainid,
                address(token)
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }
}
