"""The baseline of bench_api: the smallest Flask JSON endpoint, served like the real app."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    """Answer a tiny JSON document."""
    return jsonify(status="ok")
