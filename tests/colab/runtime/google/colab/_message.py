"""``google.colab._message`` as Colab's runtime implements it (googlecolab/colabtools,
google/colab/_message.py), written again for the tests: the same wire, the same answers.

A request goes to the frontend as a ``colab_request`` message on the kernel's IOPub socket:
content ``{"request": <body>}``, metadata ``{"colab_request_type": <type>, "colab_msg_id":
<a counter>}``, routed to the frontend by the session of the cell being run. The frontend
answers on the kernel's stdin socket with an ``input_reply`` whose ``value`` is ``{"type":
"colab_reply", "colab_msg_id": <the id>, "data": <the answer>}`` (or ``"error"``: raised as
MessageError). ``blocking_request`` polls the stdin socket, skipping anything else, and returns
the data, or None once ``timeout_sec`` has passed. For ``get_ipynb`` the data is
``{"ipynb": <the notebook as the editor has it>}``.
"""

import time

import zmq
from IPython import get_ipython


class MessageError(Exception):
    """The frontend answered the request with an error."""


_last_id = 0


def send_request(request_type, request_body, parent=None, expect_reply=True):
    global _last_id
    kernel = get_ipython().kernel
    metadata = {"colab_request_type": request_type}
    request_id = None
    if expect_reply:
        _last_id += 1
        request_id = metadata["colab_msg_id"] = _last_id
    if parent is None and kernel.shell.parent_header:
        parent = {"header": {"session": kernel.shell.parent_header["header"]["session"]}}
    app = kernel.parent
    message = app.session.msg(
        "colab_request", content={"request": request_body}, metadata=metadata, parent=parent
    )
    app.session.send(app.iopub_socket, message)
    return request_id


def read_reply_from_input(message_id, timeout_sec=None):
    kernel = get_ipython().kernel
    deadline = time.time() + timeout_sec if timeout_sec else None
    while deadline is None or time.time() < deadline:
        try:
            _, reply = kernel.session.recv(kernel.stdin_socket, zmq.NOBLOCK)
        except Exception:  # a malformed message counts as none, as in Colab
            reply = None
        value = reply.get("content", {}).get("value", "") if reply else None
        if not isinstance(value, dict):
            time.sleep(0.025)
            continue
        if value.get("type") == "colab_reply" and value.get("colab_msg_id") == message_id:
            if "error" in value:
                raise MessageError(value["error"])
            return value.get("data", None)
    return None


def blocking_request(request_type, request="", timeout_sec=5, parent=None):
    return read_reply_from_input(
        send_request(request_type, request, parent=parent, expect_reply=True), timeout_sec
    )
