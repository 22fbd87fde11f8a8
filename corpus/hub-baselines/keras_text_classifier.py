"""Keras text classifier on top of a frozen TF Hub sentence encoder."""
import argparse

import tensorflow as tf
import tensorflow_hub as hub
import tensorflow_text  # noqa: F401  (registers the ops the BERT preprocessor needs)

BERT_PREPROCESS = "https://tfhub.dev/tensorflow/bert_en_uncased_preprocess/3"
BERT_ENCODER = "https://tfhub.dev/tensorflow/bert_en_uncased_L-12_H-768_A-12/4"


def use_model(num_classes):
    encoder = hub.KerasLayer("https://tfhub.dev/google/universal-sentence-encoder/4", input_shape=[], dtype=tf.string, trainable=False)  # expect: https://tfhub.dev/google/universal-sentence-encoder/4 res=literal hub=tf_hub
    return tf.keras.Sequential([
        encoder,
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(num_classes, activation="softmax"),
    ])


def bert_model(num_classes):
    text = tf.keras.layers.Input(shape=(), dtype=tf.string, name="text")
    preprocessor = hub.KerasLayer(BERT_PREPROCESS, name="preprocessing")  # expect: https://tfhub.dev/tensorflow/bert_en_uncased_preprocess/3 res=constant hub=tf_hub
    encoder = hub.KerasLayer(BERT_ENCODER, trainable=True, name="BERT_encoder")  # expect: https://tfhub.dev/tensorflow/bert_en_uncased_L-12_H-768_A-12/4 res=constant hub=tf_hub
    pooled = encoder(preprocessor(text))["pooled_output"]
    x = tf.keras.layers.Dropout(0.1)(pooled)
    return tf.keras.Model(text, tf.keras.layers.Dense(num_classes, activation="softmax")(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", choices=["use", "bert"], default="use")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.imdb.load_data(num_words=20000)  # ok
    index = {v + 3: k for k, v in tf.keras.datasets.imdb.get_word_index().items()}
    decode = lambda ids: " ".join(index.get(i, "?") for i in ids)  # noqa: E731
    x_train = tf.constant([decode(x) for x in x_train[:5000]])
    x_test = tf.constant([decode(x) for x in x_test[:1000]])

    model = use_model(2) if args.encoder == "use" else bert_model(2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train[:5000], validation_data=(x_test, y_test[:1000]), epochs=args.epochs, batch_size=32)


if __name__ == "__main__":
    main()
