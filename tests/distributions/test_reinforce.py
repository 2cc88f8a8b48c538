"""REINFORCE on gymnasium's CartPole with an ember policy and ``Categorical`` actions.

A small policy network samples actions from ``Categorical(logits=...)``; after each episode
the log-probabilities of the taken actions (recomputed in one batched forward pass) are
weighted by normalised discounted returns and the policy takes an Adam step. Seeded
(ember, the environment resets) and so deterministic, the average return must rise clearly.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.distributions import Categorical

gym = pytest.importorskip("gymnasium")

EPISODES = 160
MAX_STEPS = 200  # CartPole-v0's horizon, keeping the run short


def _discounted(rewards, gamma: float = 0.99) -> np.ndarray:
    out = np.empty(len(rewards), np.float32)
    g = 0.0
    for i in range(len(rewards) - 1, -1, -1):
        g = rewards[i] + gamma * g
        out[i] = g
    return out


def train(episodes: int = EPISODES, seed: int = 0, until: float | None = None) -> list[float]:
    """Train for ``episodes`` episodes, or stop early once the last 100 average ``until``."""
    ember.manual_seed(seed)
    env = gym.make("CartPole-v1", max_episode_steps=MAX_STEPS)
    policy = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2))
    opt = optim.Adam(policy.parameters(), lr=0.01)
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        states, actions, rewards = [], [], []
        done = False
        while not done:
            state = ember.tensor(obs, dtype=ember.float32)
            with ember.no_grad():
                action = Categorical(logits=policy(state)).sample()
            obs, reward, terminated, truncated, _ = env.step(int(action))
            states.append(state)
            actions.append(action)
            rewards.append(reward)
            done = terminated or truncated
        returns.append(float(sum(rewards)))
        g = ember.from_numpy(_discounted(rewards))
        g = (g - g.mean()) / (g.std() + 1e-8)
        dist = Categorical(logits=policy(ember.stack(states)))
        loss = -(dist.log_prob(ember.stack(actions)) * g).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if until is not None and len(returns) >= 100 and np.mean(returns[-100:]) >= until:
            break
    env.close()
    return returns


def test_reinforce_cartpole_improves():
    returns = train()
    first, last = np.mean(returns[:30]), np.mean(returns[-30:])
    assert last > 3 * first and last > 100, (first, last)


def test_reinforce_is_deterministic():
    assert train(episodes=5) == train(episodes=5)


def test_reinforce_cartpole_is_solved_within_a_bounded_number_of_episodes():
    """The classic bar: an average return of 195 over 100 consecutive episodes (horizon 200)."""
    returns = train(episodes=700, until=195.0)
    assert len(returns) < 700 and np.mean(returns[-100:]) >= 195.0, (len(returns),
                                                                    np.mean(returns[-100:]))
