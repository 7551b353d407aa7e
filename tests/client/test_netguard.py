import pytest

from registries.client.netguard import DestinationRefused, check_host, is_allowed


@pytest.mark.parametrize(
    ("address", "always", "private_ok"),
    [
        ("8.8.8.8", True, True),
        ("2606:4700::1111", True, True),
        ("10.0.0.5", False, True),
        ("192.168.1.10", False, True),
        ("172.16.0.1", False, True),
        ("100.64.0.1", False, True),  # shared address space (e.g. Tailscale)
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("fd12:3456::1", False, True),
        ("169.254.169.254", False, False),
        ("169.254.0.1", False, False),
        ("fe80::1", False, False),
        ("fe80::1%eth0", False, False),
        ("fd00:ec2::254", False, False),
        ("100.100.100.200", False, False),
        ("::ffff:169.254.169.254", False, False),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", False, False),  # NAT64 of 169.254.169.254
        ("224.0.0.1", False, False),
        ("not-an-ip", False, False),
    ],
)
def test_it_decides_which_addresses_are_allowed(address, always, private_ok):
    assert is_allowed(address, deny_private=True) is always
    assert is_allowed(address, deny_private=False) is private_ok


def test_it_checks_ip_literal_hosts_only():
    check_host("registry.example.com", deny_private=True)  # names: checked on connect
    check_host("10.1.2.3", deny_private=False)
    with pytest.raises(DestinationRefused):
        check_host("[fe80::1]", deny_private=False)
    with pytest.raises(DestinationRefused):
        check_host("127.0.0.1", deny_private=True)
