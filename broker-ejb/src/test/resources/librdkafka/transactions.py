"""Transactions through librdkafka (confluent-kafka-python), run by LibrdkafkaTransactionsTest.

Usage: transactions.py BOOTSTRAP TOPIC TRANSACTIONAL_ID

Commits one transaction, aborts one, commits a third with consumer offsets sent to it, then reads the topic
read_committed and read_uncommitted. Prints one line per finding, "key=value", for the Java test to check; exits
non-zero on any client error.
"""
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, topic, transactional_id = sys.argv[1:4]


def read_all(isolation):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "librdkafka-reader-" + isolation,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": isolation,
    })
    consumer.assign([TopicPartition(topic, 0, 0)])
    values = []
    empty_polls = 0
    while empty_polls < 10:
        message = consumer.poll(0.5)
        if message is None:
            empty_polls += 1
            continue
        if message.error():
            raise KafkaException(message.error())
        values.append(message.value().decode())
    consumer.close()
    return values


producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id, "acks": "all"})
producer.init_transactions(30)

producer.begin_transaction()
producer.produce(topic, value=b"committed-1", partition=0)
producer.produce(topic, value=b"committed-2", partition=0)
producer.commit_transaction(30)

producer.begin_transaction()
producer.produce(topic, value=b"aborted-1", partition=0)
producer.flush(30)
producer.abort_transaction(30)

group = Consumer({"bootstrap.servers": bootstrap, "group.id": "librdkafka-eos", "enable.auto.commit": False})
producer.begin_transaction()
producer.produce(topic, value=b"committed-3", partition=0)
producer.send_offsets_to_transaction([TopicPartition(topic, 0, 3)], group.consumer_group_metadata(), 30)
producer.commit_transaction(30)

committed = group.committed([TopicPartition(topic, 0)], 30)
group.close()

print("read_committed=" + ",".join(read_all("read_committed")))
print("read_uncommitted=" + ",".join(read_all("read_uncommitted")))
print("group_offset=%d" % committed[0].offset)
