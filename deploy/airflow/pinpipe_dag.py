"""pinpipe batch as an Airflow DAG, for teams already on Airflow (seed 004's DAG ran daily at
10:00; seed 001's daily). Each task is one pinpipe command: load exactly once (the analytics follow live), verify the
analytics, then fail the run when the batch is behind Kafka so that Airflow's alerting fires.

Install pinpipe on the workers (or use the docker image with a DockerOperator), and set the
Airflow Variables pinpipe_brokers and pinpipe_pg_service; the Postgres password lives in the
workers' ~/.pgpass (or PGPASSFILE), never in the DAG. Needs Airflow 2.4 or newer.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

# Connections through the libpq and pinpipe environment variables (DESIGN §9).
PINPIPE_ENV = {
    "PGSERVICE": "{{ var.value.get('pinpipe_pg_service', 'pinpipe') }}",
    "PINPIPE_BROKERS": "{{ var.value.pinpipe_brokers }}",
    "PINPIPE_TOPIC_PREFIX": "{{ var.value.get('pinpipe_topic_prefix', 'pinterest') }}",
}

default_args = {
    "owner": "data-platform",
    # load is exactly once: a retry continues from the offsets committed in Postgres.
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "execution_timeout": timedelta(minutes=60),
}

with DAG(
    dag_id="pinpipe_batch",
    description="Kafka to PostgreSQL staging with pinpipe, then verify the analytics",
    schedule="0 10 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,  # one load reads everything new; past intervals have nothing of their own
    max_active_runs=1,
    default_args=default_args,
    tags=["pinpipe"],
) as dag:
    load = BashOperator(
        task_id="load",
        bash_command="pinpipe load --group pinpipe-load",
        env=PINPIPE_ENV,
        append_env=True,
    )
    refresh = BashOperator(
        task_id="refresh",
        bash_command="pinpipe refresh",
        env=PINPIPE_ENV,
        append_env=True,
    )
    # Exit 1 (task failure) when a topic's newest loaded event is over an hour old while Kafka
    # holds events the load has not read: the pipeline is behind. An hour (or a day) without new
    # events is not a failure: status reports the topic as caught up and exits 0.
    check = BashOperator(
        task_id="status",
        bash_command="pinpipe status --stream-group= --max-freshness-s 3600",
        env=PINPIPE_ENV,
        append_env=True,
        retries=0,
    )
    # Old staging partitions and dead letters go; the next week's partitions are made.
    retention = BashOperator(
        task_id="retention",
        bash_command="pinpipe retention --keep 90d --keep-dead-letters 90d",
        env=PINPIPE_ENV,
        append_env=True,
    )
    load >> refresh >> check
    load >> retention
