"""Chapter 8: a real ImageNet network, EfficientNet-Lite0 run by cnnbook (:mod:`cnnbook.pretrained`), on the book's
photographs: its top classes as trained and under each preprocessing mistake, and its time per image."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, pretrained
from cnnbook.data import PHOTOS, photo
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, round_times

#: How many classes each run keeps, most probable first.
TOP = 5
#: Timed rounds of one image's forward pass.
ROUNDS = 7


@experiment("ch08.imagenet")
def imagenet_photos():
    """For every photograph and every entry of :data:`cnnbook.pretrained.MISTAKES`: the top classes with their
    probabilities, and the probability left to the class the network gives the photograph when it is prepared
    as trained. Then the seconds of a forward pass of one image, with and without batch normalization folded."""
    networks = {padding: pretrained.efficientnet_lite0(padding=padding) for padding in ("same", "symmetric")}
    top, kept, colour = {}, {}, []
    for name in PHOTOS:
        image = photo(name, gray=False, backend="numpy")
        if image.ndim == 3:
            colour.append(name)
        top[name], kept[name] = {}, {}
        for mistake, (arguments, padding) in pretrained.MISTAKES.items():
            logits = networks[padding](pretrained.preprocess(image, **arguments))
            probabilities = np.asarray(functional.softmax(logits, dim=1), dtype=np.float64)[0]
            order = np.argsort(-probabilities, kind="stable")[:TOP]
            top[name][mistake] = [[int(i), float(probabilities[i])] for i in order]
            right = top[name]["as trained"][0][0]
            kept[name][mistake] = float(probabilities[right])
    x = pretrained.preprocess(photo("chelsea", gray=False, backend="numpy"))
    folded = pretrained.efficientnet_lite0(fold=True)
    seconds = {"network": [], "folded": []}
    for _ in range(ROUNDS):  # alternating, so that a slower spell of the machine falls on both
        seconds["network"] += round_times(lambda: networks["same"](x), repeat=1, min_time=0.2)
        seconds["folded"] += round_times(lambda: folded(x), repeat=1, min_time=0.2)
    return {"photos": list(PHOTOS), "colour": colour, "mistakes": list(pretrained.MISTAKES), "top": top,
            "kept": kept, "seconds": seconds, "machine": machine_label()}
