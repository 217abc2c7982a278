// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {IProviderRegistry} from "../src/interfaces/IProviderRegistry.sol";

contract ProviderRegistryTest is CoveFixture {
    bytes32 internal constant KEY = keccak256("x25519");
    string internal constant ADDRS = "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo "
        "/ip4/203.0.113.7/udp/4001/quic-v1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";

    function test_register_storesTheRecord() public {
        vm.expectEmit(address(registry));
        emit IProviderRegistry.ProviderRegistered(provider, "https://p.example", KEY, "");
        vm.prank(provider);
        registry.register("https://p.example", KEY, "");
        vm.assertTrue(registry.isRegistered(provider));
        IProviderRegistry.Provider memory p = registry.getProvider(provider);
        vm.assertEq(p.url, "https://p.example");
        vm.assertEq(p.x25519PublicKey, KEY);
        vm.assertEq(uint256(p.registeredAt), block.timestamp);
        vm.assertEq(uint256(p.updatedAt), block.timestamp);
        vm.assertEq(p.ipfsAddrs, "");
        vm.assertEq(registry.MAX_IPFS_ADDRS_LENGTH(), 1024);
    }

    function test_register_revertsIfAlreadyRegistered() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, "");
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryAlreadyRegistered.selector, provider));
        registry.register("https://p.example", KEY, "");
        vm.stopPrank();
    }

    function test_register_revertsIfUrlEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidUrl.selector, 0));
        registry.register("", KEY, "");
    }

    function test_register_revertsIfUrlTooLong() public {
        string memory url = string(new bytes(513));
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidUrl.selector, 513));
        registry.register(url, KEY, "");
    }

    function test_register_revertsIfKeyZero() public {
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidKey.selector));
        registry.register("https://p.example", bytes32(0), "");
    }

    function test_update_replacesUrlAndKey() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, "");
        vm.warp(block.timestamp + 10);
        vm.expectEmit(address(registry));
        emit IProviderRegistry.ProviderUpdated(provider, "https://q.example", keccak256("k2"), "");
        registry.update("https://q.example", keccak256("k2"), "");
        vm.stopPrank();
        IProviderRegistry.Provider memory p = registry.getProvider(provider);
        vm.assertEq(p.url, "https://q.example");
        vm.assertEq(p.x25519PublicKey, keccak256("k2"));
        vm.assertEq(uint256(p.updatedAt), block.timestamp);
        vm.assertLt(p.registeredAt, p.updatedAt);
    }

    function test_update_revertsIfNotRegistered() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotRegistered.selector, stranger));
        registry.update("https://q.example", KEY, "");
    }

    function test_update_revertsIfKeyZero() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, "");
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidKey.selector));
        registry.update("https://p.example", bytes32(0), "");
        vm.stopPrank();
    }

    function test_deregister_removesTheRecord() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, "");
        vm.expectEmit(address(registry));
        emit IProviderRegistry.ProviderDeregistered(provider);
        registry.deregister();
        vm.stopPrank();
        vm.assertFalse(registry.isRegistered(provider));
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotRegistered.selector, provider));
        registry.getProvider(provider);
    }

    function test_deregister_revertsIfNotRegistered() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotRegistered.selector, stranger));
        registry.deregister();
    }

    function test_register_storesTheIpfsAddrs() public {
        vm.expectEmit(address(registry));
        emit IProviderRegistry.ProviderRegistered(provider, "https://p.example", KEY, ADDRS);
        vm.prank(provider);
        registry.register("https://p.example", KEY, ADDRS);
        vm.assertEq(registry.getProvider(provider).ipfsAddrs, ADDRS);
    }

    function test_update_replacesTheIpfsAddrs() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, ADDRS);
        string memory next = "/dns4/ipfs.p.example/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";
        vm.expectEmit(address(registry));
        emit IProviderRegistry.ProviderUpdated(provider, "https://p.example", KEY, next);
        registry.update("https://p.example", KEY, next);
        vm.assertEq(registry.getProvider(provider).ipfsAddrs, next);
        // Cleared: the provider runs no IPFS node any more.
        registry.update("https://p.example", KEY, "");
        vm.stopPrank();
        vm.assertEq(registry.getProvider(provider).ipfsAddrs, "");
        vm.assertEq(registry.getProvider(provider).url, "https://p.example");
    }

    function test_register_acceptsTheLongestIpfsAddrs() public {
        string memory addrs = string(new bytes(registry.MAX_IPFS_ADDRS_LENGTH()));
        vm.prank(provider);
        registry.register("https://p.example", KEY, addrs);
        vm.assertEq(bytes(registry.getProvider(provider).ipfsAddrs).length, 1024);
    }

    function test_register_revertsIfIpfsAddrsTooLong() public {
        string memory addrs = string(new bytes(1025));
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidIpfsAddrs.selector, 1025));
        registry.register("https://p.example", KEY, addrs);
    }

    function test_update_revertsIfIpfsAddrsTooLong() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, ADDRS);
        string memory addrs = string(new bytes(1025));
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidIpfsAddrs.selector, 1025));
        registry.update("https://p.example", KEY, addrs);
        vm.stopPrank();
        vm.assertEq(registry.getProvider(provider).ipfsAddrs, ADDRS);
    }

    function test_deregister_clearsTheIpfsAddrs() public {
        vm.startPrank(provider);
        registry.register("https://p.example", KEY, ADDRS);
        registry.deregister();
        registry.register("https://p.example", KEY, "");
        vm.stopPrank();
        vm.assertEq(registry.getProvider(provider).ipfsAddrs, "");
    }

    function test_onlyTheProviderChangesItsRecord() public {
        vm.prank(provider);
        registry.register("https://p.example", KEY, "");
        // A stranger's update or deregistration acts on the stranger's own (absent) record.
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotRegistered.selector, stranger));
        registry.deregister();
        vm.assertTrue(registry.isRegistered(provider));
    }
}
