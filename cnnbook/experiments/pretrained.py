"""Chapter 9: a real ImageNet network, EfficientNet-Lite0 run by cnnbook (:mod:`cnnbook.pretrained`): on the book's
photographs, its top classes as trained and under each preprocessing mistake, and its time per image; and its
features transferred to two real tasks, near and far from ImageNet, stage by stage."""

from __future__ import annotations

import time

import numpy as np

from cnnbook import functional, pretrained
from cnnbook.data import PHOTOS, photo
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, round_times

#: How many classes each run keeps, most probable first.
TOP = 5
#: Timed rounds of one image's forward pass.
ROUNDS = 7


@experiment("ch09.imagenet")
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


#: Sides of the images given to the network in the transfer study, after :func:`cnnbook.pretrained.preprocess` has
#: taken the central 87.5% of each (a 28-pixel digit's central 24, a 64-pixel patch's central 56) and resized it:
#: the network's receptive fields and strides were made for 224, and 64 is where a digit's features still separate
#: the digits well at a fifteenth of 224's cost.
DIGIT_SIDE, PATCH_SIDE = 64, 64
#: Labelled examples in the study: digits 5–9 as in the digits study (``n / 5`` of each, the same draws), textures
#: ``n / 3`` of each; the seeds of the draws and the heads; the labelled examples of the stage-by-stage probe.
DIGIT_SIZES, TEXTURE_SIZES, SEEDS = (10, 30, 100), (3, 9, 30, 90), (0, 1, 2)
DIGIT_PROBE, TEXTURE_PROBE = 100, 30


def _index_of(task, n, seed):
    """The training indices that :func:`cnnbook.transfer.labelled` draws for ``(n, seed)``, in its order."""
    import dataclasses

    from cnnbook import transfer

    index = np.arange(len(task.y_train)).reshape(-1, 1)
    return transfer.labelled(dataclasses.replace(task, x_train=index), n, seed).x_train[:, 0]


def _linear_head(train_x, train_y, test_x, test_y, seed):
    """Feature extraction's head, trained as in the digits study (:func:`cnnbook.transfer.fine_tune` on frozen
    features: Adam, :data:`cnnbook.transfer.PROBE_STEPS` steps): its test accuracy."""
    from cnnbook import data, nn, transfer

    classes = int(test_y.max()) + 1
    head = nn.Sequential(nn.Linear(train_x.shape[1], classes, rng=2000 + seed))
    split = data.Digits(train_x.astype(np.float32), train_y, test_x.astype(np.float32), test_y, 0.0, 1.0, True)
    return round(transfer.fine_tune(head, split, seed=seed), 4)


def _nearest_mean(train_x, train_y, test_x, test_y):
    """Exercise 9.9's head (:func:`cnnbook.transfer.nearest_mean`), which needs no training and reads no other
    image's statistics: its test accuracy."""
    from cnnbook import transfer

    return round(float(np.mean(transfer.nearest_mean(train_x, train_y, test_x) == test_y)), 4)


@experiment("ch09.imagenet_transfer")
def imagenet_transfer():
    """EfficientNet-Lite0's ImageNet features transferred to two real tasks: the digits 5–9 of the digits study
    (far from photographs; the same labelled draws and test digits, so its regimes compare seed by seed) and
    texture patches (:func:`cnnbook.data.texture_patches`, photographs). A linear head trained on the frozen pooled
    features at each label count and seed, the same head on the raw pixels, and each stage's pooled features
    probed by a nearest-class-mean head, and the same head on the pixels."""
    from cnnbook import data, transfer

    start = time.perf_counter()
    net = pretrained.efficientnet_lite0(fold=True)
    raw = transfer.tasks(transfer.Preprocessing(resolution=28, mean=0.0, std=1.0))[1]  # raw pixels in [0, 1]
    tasks = {"digits": (raw, DIGIT_SIDE, DIGIT_SIZES, DIGIT_PROBE),
             "textures": (data.texture_patches(side=PATCH_SIDE, backend="numpy"), PATCH_SIDE, TEXTURE_SIZES,
                          TEXTURE_PROBE)}
    result = {"seeds": list(SEEDS), "tasks": {}, "machine": machine_label()}
    for name, (task, side, sizes, probe) in tasks.items():
        draws = {(n, s): _index_of(task, n, s) for n in (*sizes, probe) for s in SEEDS}
        used = np.unique(np.concatenate(list(draws.values())))
        where = {int(i): k for k, i in enumerate(used)}

        def shown(images):
            return np.concatenate([pretrained.preprocess(image[0], size=side) for image in images])

        train_images, test_images = shown(task.x_train[used]), shown(task.x_test)
        seconds = time.perf_counter()
        train_stages = pretrained.stage_features(net, train_images)
        test_stages = pretrained.stage_features(net, test_images)
        seconds = time.perf_counter() - seconds
        features = (train_stages[-1][1], test_stages[-1][1])
        pixels = [x.reshape(len(x), -1) for x in (task.x_train[used], task.x_test)]
        mu, sigma = float(task.x_train.mean()), float(task.x_train.std())
        pixels = [(x - mu) / sigma for x in pixels]
        accuracy = {"features": [], "pixels": []}
        for n in sizes:
            for kind, (train_x, test_x) in (("features", features), ("pixels", pixels)):
                accuracy[kind].append([
                    _linear_head(train_x[[where[int(i)] for i in draws[n, s]]], task.y_train[draws[n, s]], test_x,
                                 task.y_test, s) for s in SEEDS])
        stages = []  # [stage, accuracy per seed], shallowest first
        for (stage, train_x), (_, test_x) in zip(train_stages, test_stages):
            stages.append([stage, [_nearest_mean(train_x[[where[int(i)] for i in draws[probe, s]]],
                                                 task.y_train[draws[probe, s]], test_x, task.y_test) for s in SEEDS]])
        flat = task.x_train.reshape(len(task.x_train), -1), task.x_test.reshape(len(task.x_test), -1)
        probe_pixels = [_nearest_mean(flat[0][draws[probe, s]], task.y_train[draws[probe, s]], flat[1], task.y_test)
                        for s in SEEDS]
        result["tasks"][name] = {
            "side": side, "sizes": list(sizes), "classes": int(task.y_test.max()) + 1, "test": len(task.y_test),
            "pool": len(task.y_train), "probe": probe, "accuracy": accuracy, "stages": stages,
            "probe_pixels": probe_pixels,
            "channels": [int(f.shape[1]) for _, f in train_stages], "images": len(used) + len(task.y_test),
            "feature_seconds": round(seconds, 2)}
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result
