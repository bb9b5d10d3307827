"""The real ImageNet network: its checkpoint read safely, its architecture counted exactly, its predictions."""

from __future__ import annotations

import collections
import io
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import pytest

from cnnbook import checkpoint, models, nn, pretrained
from cnnbook.backend import to_numpy
from cnnbook.checkpoint import CheckpointError, read_state_dict

HEADER = (checkpoint.MAGIC, 1001, {"protocol_version": 1001, "little_endian": True,
                                   "type_sizes": {"short": 2, "int": 4, "long": 4}})
DOMESTIC_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


def _header():
    out = io.BytesIO()
    for part in HEADER:
        pickle.dump(part, out, protocol=2)
    return out


@pytest.fixture
def legacy_writer(monkeypatch):
    """Writes ``{name: array or (storage array, offset, shape, strides)}`` as ``torch.save`` before 1.6 did, with
    stand-ins for PyTorch's names (the reader must never import them either)."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    storage_types = {}
    for name, dtype in checkpoint.STORAGE_DTYPES.items():
        kind = type(name, (), {"__module__": "torch"})
        setattr(torch, name, kind)
        storage_types[np.dtype(dtype).newbyteorder("<").str] = kind

    def _rebuild_tensor_v2(*args):
        raise AssertionError("the reader called PyTorch's function")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)

    class Storage:
        def __init__(self, array):
            self.array = np.ascontiguousarray(array).ravel()

    class Tensor:
        def __init__(self, storage, offset, shape, strides):
            self.args = (storage, offset, tuple(shape), tuple(strides), False, collections.OrderedDict())

        def __reduce__(self):
            return _rebuild_tensor_v2, self.args

    def write(path, arrays, claimed=None):
        storages, state = {}, collections.OrderedDict()
        for name, value in arrays.items():
            if isinstance(value, tuple):
                base, offset, shape, strides = value
            else:
                base, offset, shape = value, 0, value.shape
                strides = tuple(s // value.itemsize for s in np.require(value, requirements="C").strides)
            key = str(id(base))
            storages.setdefault(key, Storage(base))
            state[name] = Tensor(storages[key], offset, shape, strides)

        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, Storage):
                    key = next(k for k, s in storages.items() if s is obj)
                    kind = storage_types[np.dtype(obj.array.dtype).newbyteorder("<").str]
                    return ("storage", kind, key, "cpu", claimed or obj.array.size, None)
                return None

        out = _header()
        Pickler(out, protocol=2).dump(state)
        pickle.dump(list(storages), out, protocol=2)
        for storage in storages.values():
            out.write(struct.pack("<q", storage.array.size))
            out.write(storage.array.astype(storage.array.dtype.newbyteorder("<")).tobytes())
        path.write_bytes(out.getvalue())
        return path

    return write


def test_arrays_come_back_with_their_dtypes_offsets_and_strides(tmp_path, legacy_writer):
    rng = np.random.default_rng(0)
    shared = rng.standard_normal(24)
    transposed = rng.standard_normal((3, 4)).astype(np.float32)
    arrays = {"a": rng.standard_normal((2, 3)).astype(np.float32),
              "b": (transposed, 0, (4, 3), (1, 4)),  # the transpose, as strides on the same storage: not C order
              "c": np.array(7, dtype=np.int64), "view": (shared, 4, (2, 5), (10, 1)), "d": shared.reshape(4, 6)}
    got = read_state_dict(legacy_writer(tmp_path / "small.pth", arrays))
    assert list(got) == ["a", "b", "c", "view", "d"]
    np.testing.assert_array_equal(got["a"], arrays["a"])
    np.testing.assert_array_equal(got["b"], transposed.T)
    assert got["b"].flags["C_CONTIGUOUS"] and got["b"].dtype == np.float32
    assert got["c"].dtype == np.int64 and int(got["c"]) == 7
    np.testing.assert_array_equal(got["view"], shared[4:24].reshape(2, 10)[:, :5])
    np.testing.assert_array_equal(got["d"], shared.reshape(4, 6))


@pytest.mark.parametrize("module, name", [("os", "system"), ("posix", "system"), ("builtins", "exec")])
@pytest.mark.parametrize("where", ["state dict", "header"])
def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path, module, name, where):
    marker = tmp_path / "ran"
    command = f"open({str(marker)!r}, 'w').close()" if name == "exec" else f"touch {marker}"
    payload = f"c{module}\n{name}\n(S{command!r}\ntR.".encode()  # pickle protocol 0: import, call, stop
    path = tmp_path / "evil.pth"
    path.write_bytes(payload if where == "header" else _header().getvalue() + payload)
    with pytest.raises(CheckpointError, match=f"import {module}.{name}.*refused, and nothing in the file was run"):
        read_state_dict(path)
    assert not marker.exists()
    pickle.loads(payload)  # the payload is real: pickle itself runs it
    assert marker.exists()


def test_a_file_cannot_make_the_reader_allocate_what_it_does_not_hold(tmp_path, legacy_writer):
    """Sizes are checked against the file before anything is allocated: a storage that claims 2**40 elements, or a
    tensor of 2000×2000 made of one number by zero strides, is refused at once."""
    huge = legacy_writer(tmp_path / "huge.pth", {"w": np.zeros(4, np.float32)}, claimed=2**40)
    with pytest.raises(CheckpointError, match="storages need 4,398,046,511,112 bytes"):
        read_state_dict(huge)
    repeated = legacy_writer(tmp_path / "repeated.pth", {"w": (np.zeros(1, np.float32), 0, (2000, 2000), (0, 0))})
    with pytest.raises(CheckpointError, match=r"w of shape \(2000, 2000\) would repeat the 1 numbers"):
        read_state_dict(repeated)


def test_build_instructions_cannot_retarget_the_allowed_objects(tmp_path):
    """BUILD sets attributes from the file: on the ordered dict it may set ``items``, which the reader never calls
    (it reads ``dict.items``); the stand-ins have no attributes to set."""
    out = _header()
    # OrderedDict(), then BUILD with {"items": OrderedDict}: an empty state whose .items() would lie
    out.write(b"\x80\x02ccollections\nOrderedDict\nq\x00)R}X\x05\x00\x00\x00itemsh\x00sb.")
    pickle.dump([], out, protocol=2)
    path = tmp_path / "retarget.pth"
    path.write_bytes(out.getvalue())
    with pytest.raises(CheckpointError, match="not a state dict"):
        read_state_dict(path)
    out = _header()
    out.write(b"\x80\x02ctorch\nFloatStorage\n}X\x05\x00\x00\x00dtypeX\x02\x00\x00\x00<i8sb.")
    path.write_bytes(out.getvalue())
    with pytest.raises(CheckpointError, match="cannot read its state dict"):
        read_state_dict(path)


def test_a_state_dict_may_not_smuggle_other_objects(tmp_path):
    """Only names mapped to tensors: an OrderedDict (an allowed name) holding a plain list is not a state dict."""
    out = _header()
    pickle.dump(collections.OrderedDict(weights=[1, 2, 3]), out, protocol=2)
    pickle.dump([], out, protocol=2)
    path = tmp_path / "odd.pth"
    path.write_bytes(out.getvalue())
    with pytest.raises(CheckpointError, match="not a state dict"):
        read_state_dict(path)


def test_damaged_and_foreign_files_are_named(tmp_path, legacy_writer):
    good = legacy_writer(tmp_path / "good.pth", {"w": np.arange(6, dtype=np.float32)})
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[:-5])
    with pytest.raises(CheckpointError, match="storages need 32 bytes after the pickles; the file has 27"):
        read_state_dict(cut)
    longer = tmp_path / "longer.pth"
    longer.write_bytes(good.read_bytes() + b"\0")
    with pytest.raises(CheckpointError, match="storages need 32 bytes after the pickles; the file has 33"):
        read_state_dict(longer)
    archive = tmp_path / "new.pth"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("archive/data.pkl", b"")
    with pytest.raises(CheckpointError, match="zip archive, the format of PyTorch 1.6"):
        read_state_dict(archive)
    other = tmp_path / "other.pth"
    other.write_bytes(pickle.dumps(42, protocol=2) + b"rest")
    with pytest.raises(CheckpointError, match="not a legacy PyTorch checkpoint"):
        read_state_dict(other)
    with pytest.raises(CheckpointError, match="no file"):
        read_state_dict(tmp_path / "missing.pth")


def test_the_shipped_checkpoint_holds_efficientnet_lite0():
    state = read_state_dict(pretrained.weights_path())
    assert len(state) == 296
    trained = {k: v for k, v in state.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    assert sum(v.size for v in trained.values()) == 4_652_008
    # Its convolutions are stored in TensorFlow's (kh, kw, in, out) order, as strides on (out, in, kh, kw) tensors:
    # strided reading is tested above on a small file, and the photographs' classes below depend on it.
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3) and state["_fc.weight"].shape == (1000, 1280)


def test_the_catalogue_counts_the_checkpoint_exactly():
    table = models.summary("efficientnet_lite0")
    net = pretrained.efficientnet_lite0()
    assert table.params == nn.count_parameters(net) == models.MODELS["efficientnet_lite0"].published_params
    assert table.output == (1000,)
    names = pretrained.checkpoint_names(net)
    assert len(names) == 296 - 49
    assert ("6.3.weight", "_blocks.3._depthwise_conv.weight") in names  # stage 3's first block, its depthwise


def test_tensorflow_same_padding_pads_after_at_stride_2():
    first = models.summary("efficientnet_lite0").rows[0]
    assert first.layer.pads(224, 224) == (0, 1, 0, 1) and first.output == (32, 112, 112)
    net = pretrained.efficientnet_lite0()
    assert net[0].padding == (0, 1, 0, 1)


@pytest.fixture(scope="module")
def photographs():
    return {name: pretrained.preprocess(pretrained.photo(name, gray=False, backend="numpy"))
            for name in ("chelsea", "coffee")}


def test_the_photographs_are_classified_as_the_page_says(xp, photographs):
    net = pretrained.efficientnet_lite0(xp=xp)
    cat = pretrained.classify(net, xp.asarray(photographs["chelsea"]))[0]
    assert all(index in DOMESTIC_CATS for index, _, _ in cat[:3]), cat
    assert sum(p for _, _, p in cat[:3]) > 0.8
    coffee = pretrained.classify(net, xp.asarray(photographs["coffee"]))[0]
    assert coffee[0][0] == ESPRESSO and coffee[0][1] == "espresso" and coffee[0][2] > 0.5


def test_folded_batch_norm_computes_the_same_logits(xp, photographs):
    net = pretrained.efficientnet_lite0(xp=xp)
    folded = pretrained.efficientnet_lite0(xp=xp, fold=True)
    assert not any(isinstance(m, nn.BatchNorm2d) for _, m in folded.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for _, m in net.modules())
    x = xp.asarray(np.concatenate([photographs["chelsea"], photographs["coffee"]]))
    a, b = to_numpy(net(x)), to_numpy(folded(x))
    np.testing.assert_allclose(b, a, atol=1e-4 * float(np.abs(a).max()))


def test_gradients_reach_the_input(photographs):
    """The input gradient of the cat logit, against central differences along a random direction, in float64
    (float32's rounding swamps a difference small enough to stay clear of ReLU6's corners)."""
    net = pretrained.efficientnet_lite0(input_grad=True)
    for _, module in net.modules():
        for store in (module.params, module.buffers, module.grads):
            for key in store:
                store[key] = store[key].astype(np.float64)
    x = photographs["chelsea"].astype(np.float64)
    y, cache = net.forward(x)
    grad = np.zeros_like(y)
    grad[0, 285] = 1
    gx = net.backward(grad, cache)
    direction = np.random.default_rng(0).standard_normal(x.shape)
    h = 1e-6
    numeric = (net(x + h * direction)[0, 285] - net(x - h * direction)[0, 285]) / (2 * h)
    assert float(np.sum(gx * direction)) == pytest.approx(float(numeric), rel=0.02)


def test_bad_images_are_refused_by_name():
    with pytest.raises(ValueError, match=r"preprocess: image must be RGB channels first, shape \(3, H, W\), or grayscale"):
        pretrained.preprocess(np.zeros((4, 32, 32)))
    with pytest.raises(ValueError, match=r"preprocess: image values must lie in \[0, 1\]"):
        pretrained.preprocess(np.full((3, 32, 32), 255.0))


def test_features_are_what_the_classifier_reads():
    """The pooled features, through the network's own last layer, give its logits; a network of another shape is
    refused by name."""
    net = pretrained.efficientnet_lite0()
    x = pretrained.preprocess(pretrained.photo("coffee", gray=False, backend="numpy"))
    feats = pretrained.features(net, np.concatenate([x, x[:, :, ::-1]]), batch_size=1)
    assert feats.shape == (2, 1280)
    np.testing.assert_allclose(net[-1](feats[:1]), net(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="features: net must end in Flatten, Dropout and Linear"):
        pretrained.features(nn.Sequential(nn.ReLU()), x)
    with pytest.raises(ValueError, match=r"classify: x must have shape \(N, 3, 224, 224\)"):
        pretrained.classify(net, np.zeros((1, 3, 240, 240), np.float32))


def test_stage_features_pool_each_stage_and_end_with_the_features():
    """Every stage's pooled output, found where the channels change, batch by batch as in one pass; the last is
    what :func:`features` returns; a network of another shape is refused by name."""
    net = pretrained.efficientnet_lite0(fold=True)
    x = np.concatenate([pretrained.preprocess(pretrained.photo(name, gray=False, backend="numpy"), size=64)
                        for name in ("coffee", "chelsea", "astronaut")])
    whole, batched = pretrained.stage_features(net, x, batch_size=3), pretrained.stage_features(net, x, batch_size=2)
    assert [name for name, _ in whole] == ["stem"] + [f"stage {k}" for k in range(1, 8)] + ["head"]
    assert [f.shape for _, f in whole] == [(3, c) for c in (32, 16, 24, 40, 80, 112, 192, 320, 1280)]
    for (_, a), (_, b) in zip(whole, batched):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(whole[-1][1], pretrained.features(net, x), rtol=1e-5, atol=1e-6)
    h = x
    for layer in net.children[:4]:  # the stem and the first stage's only block
        h = layer(h)
    np.testing.assert_allclose(whole[1][1], h.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="stage_features: net must end in pooling, Flatten, Dropout and Linear"):
        pretrained.stage_features(nn.Sequential(nn.ReLU()), x)


def test_texture_patches_keep_training_and_test_pixels_apart():
    from cnnbook.data import photo, texture_patches

    patches = texture_patches(side=32, stride=64, backend="numpy")
    brick = photo("brick", gray=True, backend="numpy")
    half = brick.shape[1] // 2
    assert np.array_equal(patches.x_train[0, 0], brick[:32, :32].astype(np.float32))
    assert np.array_equal(patches.x_test[0, 0], brick[:32, half:half + 32].astype(np.float32))
    assert sorted(set(patches.y_train.tolist())) == [0, 1, 2]
    with pytest.raises(ValueError, match="texture_patches: names must be some of"):
        texture_patches(names=("wallpaper",))
    with pytest.raises(ValueError, match="texture_patches: side must fit in half of brick"):
        texture_patches(side=300)
