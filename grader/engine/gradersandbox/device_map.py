"""A notebook written for Colab's GPU, run in a sandbox without one: the device is mapped where
the library is asked for it, at run time, and the student's code runs as written.

PyTorch: a :class:`torch.overrides.TorchFunctionMode` gives the CPU wherever a call names a
CUDA device (``torch.zeros(3, device="cuda")``, ``x.to("cuda")``, ``x.cuda()``, and so
``model.cuda()`` and ``model.to(device)``, which call them for each tensor);
``torch.device("cuda")`` is the CPU's device (so ``device.type`` is ``"cpu"`` and the
notebook's own CPU branches are taken); ``torch.load``'s ``map_location`` and
``torch.set_default_device`` are mapped alike, and ``torch.cuda.synchronize()`` has nothing to
wait for. What is asked, not requested, is answered as the sandbox is:
``torch.cuda.is_available()`` is False, and what needs the GPU itself
(``torch.cuda.get_device_name()``) fails with the library's own error. TensorFlow: soft device
placement, so a ``/GPU:0`` device scope runs on the CPU.

Each request for a GPU is recorded where the notebook made it (its cell and line, the
innermost frame of a notebook cell): :func:`taken` hands the record to the runner, which sends
it with the cell's reply. Standard library only: the libraries are mapped when the notebook
imports them (or at :func:`install`, when the warm process imported them already).
"""

from __future__ import annotations

import copyreg
import importlib.abc
import importlib.machinery
import sys
from types import FrameType
from typing import Any

from .limits import GPU_PLACES
from .probe import cell_of

_MAPPED = ("torch", "tensorflow")
_asked: list[tuple[int, int]] = []  # (cell index, line), in the order first asked
_seen: set[tuple[int, int]] = set()
_done: set[str] = set()  # the libraries already mapped


def install() -> None:
    """Map the libraries the warm process imported already; the others as they are imported."""
    for name in _MAPPED:
        if name in sys.modules:
            _map(name, sys.modules[name])
    sys.meta_path.insert(0, _Finder())


def taken() -> list[tuple[int, int]]:
    """The requests for a GPU recorded since the last call: ``(cell index, line)`` each."""
    found = list(_asked[:GPU_PLACES])
    _asked.clear()
    return found


def _record() -> None:
    """Record the notebook's line that is asking, once."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        cell = cell_of(frame.f_code.co_filename)
        if cell is not None:
            place = (cell, frame.f_lineno)
            if place not in _seen and len(_seen) < GPU_PLACES:
                _seen.add(place)
                _asked.append(place)
            return
        frame = frame.f_back


class _Finder(importlib.abc.MetaPathFinder):
    """Maps a library once Python has run its module."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _MAPPED or fullname in _done:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        run = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            _map(fullname, module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _map(name: str, module: Any) -> None:
    if name in _done:
        return
    _done.add(name)
    try:
        (_map_torch if name == "torch" else _map_tensorflow)(module)
    except Exception:  # a build without what is mapped: imported as it is, the run says the rest
        return


def _map_tensorflow(tf: Any) -> None:
    """A ``/GPU:0`` scope runs on the CPU (soft placement); ``tf.device`` records it."""
    tf.config.set_soft_device_placement(True)
    scope = tf.device

    def device(name: Any) -> Any:
        if isinstance(name, str) and "GPU" in name.upper():
            _record()
        return scope(name)

    device.__doc__, device.__wrapped__ = scope.__doc__, scope  # type: ignore[attr-defined]
    tf.device = device


def _map_torch(torch: Any) -> None:
    real = torch.device

    def cpu(value: Any) -> Any:
        """``value``, or the CPU where it names a CUDA device (recorded)."""
        if isinstance(value, str) and value.strip().lower().startswith("cuda"):
            _record()
            return "cpu"
        if isinstance(value, real) and value.type == "cuda":
            _record()
            return real("cpu")
        return value

    class _Kind(type):
        def __instancecheck__(cls, instance: Any) -> bool:
            return isinstance(instance, real)

        def __subclasscheck__(cls, subclass: Any) -> bool:
            return isinstance(subclass, type) and issubclass(subclass, real)

    class device(metaclass=_Kind):  # noqa: N801  (it stands for torch.device)
        """torch.device, with a CUDA device given as the CPU's."""

        def __new__(cls, kind: Any, *index: Any, **named: Any) -> Any:
            if "type" in named:
                kind = named.pop("type")
            mapped = cpu(kind)
            if mapped is not kind:
                return real("cpu")
            return real(kind, *index, **named)

    device.__module__, device.__qualname__ = "torch", "device"
    # A device pickles as the name it is found under (torch.device): this stand-in.
    copyreg.pickle(real, lambda d: (device, (str(d),)))
    torch.device = device
    _map_torch_calls(torch, cpu)


def _map_torch_calls(torch: Any, cpu: Any) -> None:
    tensor = torch.Tensor
    moves = {tensor.to, tensor.new_empty, tensor.new_zeros, tensor.new_ones, tensor.new_full}

    class OnTheCpu(torch.overrides.TorchFunctionMode):
        """Every call that names a CUDA device is given the CPU's."""

        def __torch_function__(
            self, func: Any, types: Any, args: Any = (), kwargs: Any = None
        ) -> Any:
            kwargs = kwargs or {}
            if func is tensor.cuda:
                _record()
                return args[0].cpu()
            if "device" in kwargs:
                named = kwargs["device"]
                kwargs = {**kwargs, "device": "cpu" if type(named) is int else cpu(named)}
                if type(named) is int:
                    _record()
            if func in moves:
                args = tuple(cpu(arg) for arg in args)
            return func(*args, **kwargs)

    OnTheCpu().__enter__()  # for the rest of the run: the notebook's mode, never left

    load = torch.load

    def torch_load(f: Any, map_location: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(map_location, dict):
            map_location = {k: cpu(v) for k, v in map_location.items()}
        elif map_location is None:  # where the file says: the GPU of the run that saved it
            map_location = _from_the_gpu
        else:
            map_location = cpu(map_location)
        return load(f, map_location, *args, **kwargs)

    def _from_the_gpu(storage: Any, location: str) -> Any:
        if location.startswith("cuda"):
            _record()
        return storage

    default = torch.set_default_device

    def set_default_device(chosen: Any) -> None:
        default(cpu(chosen))

    def synchronize(*args: Any, **kwargs: Any) -> None:
        """Nothing to wait for: the CPU ran each call as it was made."""
        _record()

    stand_ins: tuple[tuple[Any, str, Any], ...] = (
        (torch, "load", torch_load),
        (torch, "set_default_device", set_default_device),
        (torch.cuda, "synchronize", synchronize),
    )
    for owner, name, stand_in in stand_ins:
        original = getattr(owner, name)
        stand_in.__doc__, stand_in.__wrapped__ = original.__doc__, original
        setattr(owner, name, stand_in)
