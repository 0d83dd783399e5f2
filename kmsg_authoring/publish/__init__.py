"""Compiled templates and an environment in, remote templates out: plan, apply, pull and send-test."""
