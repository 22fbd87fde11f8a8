"""A tiny HTTP endpoint: GET /?q=some+text -> {"label": ..., "score": ...}."""
import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

from absl import app, flags, logging
from transformers import pipeline

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "finiteautomata/bertweet-base-sentiment-analysis", "Model id or folder to serve.")
flags.DEFINE_integer("port", 8080, "Port to listen on.")
flags.DEFINE_string("host", "127.0.0.1", "Address to bind.")

_clf = None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query).get("q", [""])[0]
        body = json.dumps(_clf(query)[0] if query else {"error": "missing q"}).encode()
        self.send_response(200 if query else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def main(argv):
    del argv
    global _clf
    _clf = pipeline("text-classification", model=FLAGS.model)  # expect: finiteautomata/bertweet-base-sentiment-analysis res=argparse_default
    logging.info("serving %s on %s:%d", FLAGS.model, FLAGS.host, FLAGS.port)
    HTTPServer((FLAGS.host, FLAGS.port), Handler).serve_forever()


if __name__ == "__main__":
    app.run(main)
