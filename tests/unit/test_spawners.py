from hub.spawners import MAX_SYSTEM_NAME, system_account_name


def test_plain_names_map_directly():
    assert system_account_name("agora-", "analyst") == "agora-analyst"


def test_changed_names_get_a_hash_so_they_never_collide():
    a = system_account_name("agora-", "Jean.Dupont@ville.fr")
    b = system_account_name("agora-", "jean-dupont-ville-fr")
    assert a != b
    assert a.startswith("agora-jean-dupont") and len(a) <= MAX_SYSTEM_NAME


def test_long_names_are_truncated_to_a_valid_length():
    name = system_account_name("agora-", "x" * 80)
    assert len(name) <= MAX_SYSTEM_NAME
