"""Policy-gradient reinforcement learning on gymnasium's CartPole-v1, run on ember.

Written as a PyTorch program with ``import ember as torch`` and ``ember.distributions``.  Two
methods:

* ``--method reinforce`` (default): REINFORCE, Williams (1992): play an episode by sampling
  actions from the policy ``Categorical(logits=policy(state))``, then raise the log-probability
  of each action in proportion to the (normalised) discounted return that followed it;
* ``--method actor-critic``: the same policy with a learned state-value head as a baseline; the
  advantage ``G_t - V(s_t)`` weights the policy gradient and ``V`` regresses on ``G_t``.

Training stops when the average return of the last 100 training episodes reaches ``--target``
(or after ``--episodes``).  The trained policy is then evaluated on ``--eval-episodes`` fresh
episodes, sampling its actions, and the average return is printed (CartPole's classic
"solved" bar is an average of 195 over 100 episodes; v1 caps an episode at 500).

Measured on the 2-core development machine (shared with other jobs, load average ~12, so wall
times are inflated several times):

    python examples/reinforce_cartpole.py
        target reached at episode 272; evaluation: average return 500.0 over 100 episodes;
        88 s of CPU time in all (training 475 s wall on the loaded machine)
    python examples/reinforce_cartpole.py --method actor-critic
        target reached at episode 238; evaluation: average return 456.7 over 100 episodes;
        60 s of CPU time in all (training 437 s wall on the loaded machine)

Smoke test (a few seconds): ``--episodes 5 --eval-episodes 2``.
"""

from __future__ import annotations

import argparse
import time
from collections import deque

import gymnasium as gym

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.distributions import Categorical


class Policy(nn.Module):
    """A two-layer MLP with an action head (logits) and, for actor-critic, a value head."""

    def __init__(self, n_obs: int, n_actions: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_obs, hidden), nn.ReLU())
        self.action_head = nn.Linear(hidden, n_actions)
        self.value_head = nn.Linear(hidden, 1)

    def forward(self, obs):
        h = self.body(obs)
        return self.action_head(h), self.value_head(h).squeeze(-1)


def discounted_returns(rewards, gamma: float):
    """``G_t = r_t + gamma * G_{t+1}``, computed backwards over one episode."""
    returns = []
    g = 0.0
    for r in reversed(rewards):
        g = r + gamma * g
        returns.append(g)
    returns.reverse()
    return torch.tensor(returns)


def run_episode(env, policy, seed=None, greedy: bool = False):
    """Play one episode with the policy (no gradient); returns the states, actions and rewards."""
    obs, _ = env.reset(seed=seed)
    states, actions, rewards = [], [], []
    done = False
    with torch.no_grad():
        while not done:
            state = torch.from_numpy(obs)
            logits, _ = policy(state)
            action = logits.argmax() if greedy else Categorical(logits=logits).sample()
            a = action.item()
            obs, reward, terminated, truncated, _ = env.step(a)
            states.append(state)
            actions.append(a)
            rewards.append(float(reward))
            done = terminated or truncated
    return torch.stack(states), torch.tensor(actions), rewards


def update(policy, optimizer, states, actions, rewards, args) -> float:
    """One policy-gradient step on a finished episode.

    The episode was played without a graph; its states are run through the policy again here
    as one batch, which gives the same gradient as keeping every step's log-probability and is
    far cheaper than one small graph per step.
    """
    returns = discounted_returns(rewards, args.gamma)
    logits, values = policy(states)
    dist = Categorical(logits=logits)
    log_probs = dist.log_prob(actions)
    if args.method == "reinforce":
        weights = (returns - returns.mean()) / (returns.std(unbiased=False) + 1e-8)
        loss = -(log_probs * weights).sum()
    else:
        # scale returns to about unit size so that the critic's loss does not dominate
        target = returns / args.return_scale
        advantage = (target - values).detach()
        policy_loss = -(log_probs * advantage).sum()
        value_loss = F.smooth_l1_loss(values, target, reduction="sum")
        loss = policy_loss + value_loss
    loss = loss - args.entropy * dist.entropy().sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=["reinforce", "actor-critic"], default="reinforce")
    parser.add_argument("--episodes", type=int, default=2000, help="most training episodes")
    parser.add_argument("--target", type=float, default=400.0,
                        help="stop training when the last 100 episodes average this return")
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--greedy", action="store_true",
                        help="evaluate with the most likely action instead of sampling")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount factor")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam's learning rate (default: 1e-2 reinforce, 3e-3 actor-critic)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--entropy", type=float, default=0.0, help="entropy bonus weight")
    parser.add_argument("--return-scale", type=float, default=100.0,
                        help="actor-critic: divide returns by this before fitting the critic")
    parser.add_argument("--log-interval", type=int, default=20, help="print every N episodes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="save the policy's state dict to this file")
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = 1e-2 if args.method == "reinforce" else 3e-3

    torch.manual_seed(args.seed)
    env = gym.make("CartPole-v1")
    env.action_space.seed(args.seed)
    policy = Policy(env.observation_space.shape[0], env.action_space.n, args.hidden)
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)
    print(f"{args.method} on CartPole-v1: policy with "
          f"{sum(p.numel() for p in policy.parameters()):,} parameters, lr {args.lr}")

    recent = deque(maxlen=100)
    start, cpu_start = time.perf_counter(), time.process_time()
    episode = 0
    for episode in range(1, args.episodes + 1):
        seed = args.seed if episode == 1 else None  # seeding the first reset seeds them all
        states, actions, rewards = run_episode(env, policy, seed=seed)
        policy.train()
        update(policy, optimizer, states, actions, rewards, args)
        recent.append(sum(rewards))
        average = sum(recent) / len(recent)
        if episode % args.log_interval == 0 or episode == 1:
            print(f"episode {episode:5d}  return {recent[-1]:5.0f}  "
                  f"average of last {len(recent)} {average:6.1f}  "
                  f"({time.perf_counter() - start:.1f} s)",
                  flush=True)
        if len(recent) == 100 and average >= args.target:
            print(f"reached an average of {average:.1f} over the last 100 episodes at episode "
                  f"{episode}")
            break
    train_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start

    returns = [sum(run_episode(env, policy, greedy=args.greedy)[2])
               for _ in range(args.eval_episodes)]
    eval_average = sum(returns) / len(returns)
    print(f"trained {episode} episodes in {train_seconds:.1f} s "
          f"(process CPU time {cpu_seconds:.1f} s)")
    print(f"evaluation: average return {eval_average:.1f} over {len(returns)} episodes "
          f"({'greedy' if args.greedy else 'sampled'} actions; min {min(returns):.0f}, "
          f"max {max(returns):.0f})")
    if args.out:
        torch.save(policy.state_dict(), args.out)
        print(f"saved the policy to {args.out}")
    env.close()
    return {"episodes": episode, "eval_average": eval_average, "seconds": train_seconds}


if __name__ == "__main__":
    main()
