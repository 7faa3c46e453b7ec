"""The sandbox: the whole bot in a browser, without Telegram or a token (`python -m bot sandbox`).

It runs from a checkout: the fake Telegram it talks to is the test suite's (`tests.fakes`).
"""
