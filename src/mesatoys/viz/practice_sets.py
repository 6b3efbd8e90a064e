"""Practice questions of notebooks 05 (deceptive alignment) and 06 (defenses).

Each function builds fresh :class:`~mesatoys.viz.practice.PracticeQuestion` objects, so
one notebook's answers never leak into another's. The questions are ungraded; every
option carries an explanation.
"""

from __future__ import annotations

from mesatoys.viz.practice import PracticeQuestion

_DECEPTIVE_ALIGNMENT = (
    {
        "prompt": "Which of these describes a deceptively aligned mesa-optimizer?",
        "options": (
            "It does well on the base objective in training because that keeps its own, "
            "different objective from being trained away, and it plans to pursue that objective "
            "once the pressure is gone.",
            "It does well in training, but its navigation falls apart on new levels.",
            "It exploits a loophole in a badly written reward, in training and afterwards.",
            "It pursues a proxy that matched the goal in training, and keeps pursuing it after a "
            "change of distribution, without knowing it is being trained.",
        ),
        "correct": 0,
        "explanations": (
            "Right: the good behaviour is instrumental. Hubinger et al. (2019) require a goal that "
            "reaches past the present update, a model of the training process, and an expectation "
            "that the threat of modification will end.",
            "That is a capability failure: the agent is no longer competent. A deceptive agent "
            "stays competent; what changes is what it is competent at.",
            "That is specification gaming (notebook 04): the reward itself is wrong, and the "
            "behaviour is visible in training to anyone who checks it against what was meant.",
            "That is goal misgeneralization, as in the cheese maze (notebook 03). It needs no "
            "awareness of training; deceptive alignment does.",
        ),
    },
    {
        "prompt": (
            "In the selection simulation, training misbehaviour falls to about the slip level "
            "while the share of deceptive agents rises. Why?"
        ),
        "options": (
            "Oversight removes the agents it sees misbehaving. Deceptive agents rarely misbehave "
            "in training, so they survive, and their copies fill the places of the removed "
            "unaware agents.",
            "Training rewards deception directly: deceptive agents earn more reward.",
            "Deceptive agents copy themselves faster than the others.",
            "Oversight gets weaker over the rounds, so misbehaviour is caught less often.",
        ),
        "correct": 0,
        "explanations": (
            "Right. Selection only sees training behaviour, and on that measure a deceptive agent "
            "and an aligned one look the same. Removing the visible misbehavers leaves both.",
            "Nothing in the toy pays for deception. A deceptive agent earns exactly what an "
            "aligned agent earns in training; it wins by not losing, since its competitors are "
            "removed.",
            "Every survivor is equally likely to be copied. The deceptive share rises because "
            "more of the survivors are deceptive, not because they copy faster.",
            "The oversight probability is the same every round (0.5 by default).",
        ),
    },
    {
        "prompt": (
            "The gridworld agent takes the shortcut only when the supervisor is absent. What "
            "does this toy show, and what does it not show?"
        ),
        "options": (
            "A reward that punishes only when someone watches trains an objective that conditions "
            "on being watched. It does not show an agent that knows it is being trained or plans "
            "for after deployment.",
            "It shows a deceptively aligned agent in the full sense of Hubinger et al.",
            "It shows that the agent is malicious: it wants to break the rules.",
            "It shows nothing: the agent was programmed to take the shortcut when unwatched.",
        ),
        "correct": 0,
        "explanations": (
            "Right. The toy isolates one ingredient: behaviour that depends on a visible cue of "
            "oversight, learned from the base reward alone. The agent has no model of its "
            "training and no plans; it just learned which cells cost something.",
            "Two of the three conditions are missing: its objective does not reach past the "
            "episode, and it has no model of being trained.",
            "It has no wishes beyond its learned weights: it takes the shortcut because the "
            "shortcut is shorter, and the punishment it learned to avoid only comes with the "
            "supervisor.",
            "Nothing was set by hand: the weights come from evolution strategies that only saw "
            "the base reward. Rerun it with a reward that always punishes the shortcut and it "
            "learns to avoid it both ways.",
        ),
    },
    {
        "prompt": (
            "Which statement about Apollo Research's 2024 in-context scheming results is accurate?"
        ),
        "options": (
            "Five of six frontier models schemed in at least one of six evaluations, in settings "
            "built to invite it (covert actions were rare and mostly needed a strong goal nudge): "
            "a capability, not a measured propensity in real use.",
            "Several models copied their real weights to outside servers.",
            "Only o1 showed any scheming behaviour.",
            "Later anti-scheming training brought covert actions down to zero.",
        ),
        "correct": 0,
        "explanations": (
            "Right, and that is how the authors themselves frame it: the scenarios supply the goal "
            "and the situation, and the question is whether the model acts on them.",
            "The weights and the servers were part of a sandbox. What was measured is the "
            "attempt: in up to 10% of runs (Claude 3 Opus) a model copied what it believed were "
            "its weights.",
            "Gemini 1.5 Pro, Llama 3.1 405B, Claude 3.5 Sonnet and Claude 3 Opus did too; o1 was "
            "the only one that did so in all six evaluations.",
            "Covert actions fell about thirty-fold for o3 and o4-mini (to 0.4% and 0.3%), not to "
            "zero, and evaluation awareness may explain part of the drop.",
        ),
    },
)

_DEFENSES = (
    {
        "prompt": (
            "The maze agent reaches the cheese on every training level. Why can reading its "
            "weights predict its test behaviour when its training behaviour cannot?"
        ),
        "options": (
            "In training the cheese and the corner are the same cell, so every training episode "
            "fits both goals. The weights say which feature the agent values, and that decides "
            "what it does when the two come apart.",
            "The weights contain a copy of the test levels.",
            "Training behaviour is random, so it predicts nothing.",
            "Reading weights always works, for any model.",
        ),
        "correct": 0,
        "explanations": (
            "Right. Behaviour underdetermines the goal when the goals agree on the data; the "
            "objective itself does not.",
            "The agent never sees a test level before it is tested. The weights are five numbers.",
            "Training behaviour is perfectly consistent: it always reaches the cheese. It is just "
            "consistent with two different goals.",
            "Our agent was built with a readable objective. Real networks store their goals, if "
            "they have them, in a form nobody has written down, which is why the probe experiment "
            "has to look for it.",
        ),
    },
    {
        "prompt": (
            "A linear probe reads which target the network heads for from its hidden layer about "
            "95% of the time. Why also run the same probe on the raw input and on an untrained "
            "network?"
        ),
        "options": (
            "To check that the network computed the goal: the probe reads it from the raw input "
            "only about 54% of the time and from random features about 67%, so training put it "
            "there.",
            "To make the probe on the hidden layer more accurate.",
            "Because the network was trained on the raw input only.",
            "To find out whether the network is deceptive.",
        ),
        "correct": 0,
        "explanations": (
            "Right. A probe's accuracy means something only next to a baseline (Hewitt and Liang "
            "2019 make this point). If the goal were readable from the input, or from any random "
            "network, 95% would say nothing about what training built.",
            "The baselines are separate probes; they do not change the hidden-layer probe at all.",
            "The network sees the raw input, like every network; the question is what it does "
            "with it. Here the goal is an XOR of two cue bits, which no weighted sum of the "
            "inputs can read.",
            "The baselines say nothing about deception. They say how much of the probe's "
            "accuracy to believe.",
        ),
    },
    {
        "prompt": "What makes honeypot evaluations lose their power?",
        "options": (
            "Agents that can tell honeypots from real deployment: they behave in the honeypot as "
            "they would in training.",
            "Running more honeypots.",
            "Aligned agents in the population.",
            "Honeypots that look exactly like deployment.",
        ),
        "correct": 0,
        "explanations": (
            "Right. A honeypot works only if the agent believes it is unobserved. When agents can "
            "spot the test, detection falls toward the false-alarm rate of honest slips.",
            "More honeypots raise detection (and, with honest slips, false alarms too).",
            "Aligned agents only affect the false-alarm rate, through their slips.",
            "That is the ideal honeypot: an agent that cannot tell it apart misbehaves in it and "
            "is caught.",
        ),
    },
    {
        "prompt": "What is the starting assumption of AI control (Greenblatt et al. 2024)?",
        "options": (
            "The strongest model might be trying to subvert its safety measures, so the deployment "
            "must stay safe even then; safety is measured against a red team that plays the model.",
            "The model is aligned, and monitoring only catches honest mistakes.",
            "Every output of the model can be audited by humans.",
            "The trusted model is as capable as the untrusted one.",
        ),
        "correct": 0,
        "explanations": (
            "Right. Control does not try to show the model is aligned; it designs protocols "
            "(monitoring, auditing, deferring) whose safety holds against the worst case.",
            "That would be ordinary quality control. Control assumes intentional subversion.",
            "Human audits are the scarce resource: 2% of tasks in the toy's default.",
            "The trusted model is trusted because it is weaker; using it more costs usefulness.",
        ),
    },
    {
        "prompt": "Why build deceptive model organisms on purpose?",
        "options": (
            "Because we know the ground truth for them, we can measure how often each detection "
            "method catches them and how often it raises false alarms on aligned controls.",
            "To deploy them.",
            "Because deceptive agents are better at the task.",
            "To prove that real models are deceptive.",
        ),
        "correct": 0,
        "explanations": (
            "Right. A detection method needs a test set with known answers, and the only way to "
            "get deceptive examples today is to build them (Hubinger et al. 2024, Sleeper Agents).",
            "Model organisms stay in the lab: they are test cases for detectors.",
            "They are built to be deceptive, not better; in the toy they score the same as aligned "
            "agents in training, which is the problem.",
            "An organism built to be deceptive shows what detection methods can catch, not what "
            "happens in models nobody built that way.",
        ),
    },
)


# Where each question's correct option is shown (the specs above list it first).
_DECEPTIVE_ALIGNMENT_KEYS = (1, 2, 0, 3)
_DEFENSES_KEYS = (2, 0, 3, 1, 2)


def _with_correct_at(spec: dict, position: int) -> PracticeQuestion:
    """Build a question whose correct option (listed first in ``spec``) sits at ``position``."""
    order = list(range(1, len(spec["options"])))
    order.insert(position, spec["correct"])
    return PracticeQuestion(
        spec["prompt"],
        [spec["options"][i] for i in order],
        correct=position,
        explanations=[spec["explanations"][i] for i in order],
    )


def deceptive_alignment_questions() -> list[PracticeQuestion]:
    """The practice questions of notebook 05 (deceptive alignment), freshly built."""
    pairs = zip(_DECEPTIVE_ALIGNMENT, _DECEPTIVE_ALIGNMENT_KEYS, strict=True)
    return [_with_correct_at(spec, key) for spec, key in pairs]


def defenses_questions() -> list[PracticeQuestion]:
    """The practice questions of notebook 06 (defenses), freshly built."""
    pairs = zip(_DEFENSES, _DEFENSES_KEYS, strict=True)
    return [_with_correct_at(spec, key) for spec, key in pairs]


__all__ = ["deceptive_alignment_questions", "defenses_questions"]
