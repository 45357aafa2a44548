# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""InterventionPairing without rclpy: flags find their action by source timestamp."""

from robot_learning_nodes.sac_learner_interventions import InterventionPairing


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _pairing():
    clock = _Clock()
    got: list[tuple[int, bool]] = []
    pairing = InterventionPairing(wait_s=0.5, clock=clock)

    def action(ns, key):
        pairing.action(ns, lambda human: got.append((key, human)))

    return pairing, clock, got, action


def test_each_flag_pairs_with_its_action_in_either_order():
    pairing, _, got, action = _pairing()
    action(100, 'a')
    assert got == [] and len(pairing) == 1  # held for its flag
    assert pairing.flag(101, True)
    # The next flag is handled before its action (another reader): it has nothing to pair.
    action(300, 'c')
    action(200, 'b')
    assert pairing.flag(201, False) and pairing.flag(301, True)
    assert got == [('a', True), ('b', False), ('c', True)]
    assert (pairing.paired, pairing.human, pairing.missing, pairing.unmatched) == (3, 2, 0, 0)


def test_a_flag_with_no_action_before_it_is_unmatched_and_changes_nothing():
    pairing, _, got, action = _pairing()
    assert not pairing.flag(50, True)
    action(100, 'a')
    assert not pairing.flag(99, True)  # published before the action: not its flag
    assert pairing.unmatched == 2 and got == [] and len(pairing) == 1


def test_a_lost_flag_never_stalls_the_stream():
    pairing, clock, got, action = _pairing()
    action(100, 'a')
    action(200, 'b')
    assert pairing.flag(201, True)  # b's flag: a's was lost (reliable topics keep order)
    assert got == [('a', False), ('b', True)] and pairing.missing == 1
    action(300, 'c')
    clock.t = 0.6
    assert pairing.expire() == 1 and got[-1] == ('c', False) and pairing.missing == 2
    action(400, 'd')
    pairing.flush()
    assert got[-1] == ('d', False) and len(pairing) == 0
