"""pyHanko's synchronous calls run their own event loop (asyncio.run), which
fails in a thread that already has one running (a test browser, an async
server). There, the call is made from a short-lived thread of its own."""
import asyncio
import concurrent.futures
import functools


def callable_anywhere(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return fn(*args, **kwargs)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kho-signing") as pool:
            return pool.submit(fn, *args, **kwargs).result()
    return wrapper
