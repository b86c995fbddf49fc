"""The PySpark peer of segflow's Spark engine, for the benchmark in the README.

The same line-level work as `input.engine: spark` on the `segflow bench` transactions data
(cancellations dropped, no price rule): read the Parquet file, write the typed lines, the
kept lines and the dropped lines with their reason as Parquet datasets, aggregate per
customer (recency inputs, distinct invoices, spend, items, first and last purchase) and
bring the customer table back as Arrow. `segflow bench --spark` runs it (the row
`transactions_10m_pyspark`) on the data of `transactions_10m_spark`; by hand, against the
cluster of `scripts/spark-local`:

    ~/.cache/segflow/spark/venv/bin/pip install "pyspark[connect]==4.2.1" "pandas<3"
    ~/.cache/segflow/spark/venv/bin/python bench/pyspark_peer.py DATA.parquet OUT_DIR

Prints the wall seconds, the customer count and the total spend (to check it against
segflow's run on the same file).
"""

import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main(data: str, out: str, remote: str = "sc://127.0.0.1:15002") -> None:
    started = time.time()
    spark = SparkSession.builder.remote(remote).getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    lines = spark.read.parquet(data).withColumn("__line", F.monotonically_increasing_id())
    if dict(lines.dtypes)["InvoiceDate"] == "string":
        lines = lines.withColumn("InvoiceDate", F.to_timestamp("InvoiceDate"))
    else:  # a datetime without zone (timestamp_ntz), read as UTC
        lines = lines.withColumn("InvoiceDate", F.col("InvoiceDate").cast("timestamp"))
    lines = lines.withColumn("InvoiceNo", F.col("InvoiceNo").cast("string"))
    columns = [c for c in lines.columns if c != "__line"]
    lines.select(columns).write.mode("overwrite").parquet(f"{out}/01_ingest")

    reason = (
        F.when(F.col("CustomerID").isNull(), "missing customer id")
        .when(F.coalesce(F.col("InvoiceNo").startswith("C"), F.lit(False)),
              "cancellation (invoice starts with C)")
        .when(F.coalesce(F.col("Quantity") <= 0, F.lit(False)), "quantity <= 0 (return)")
    )
    reasoned = lines.withColumn("reason", reason)
    kept = reasoned.where(F.col("reason").isNull()).drop("reason")
    kept.select(columns).write.mode("overwrite").parquet(f"{out}/02_clean")
    dropped = reasoned.where(F.col("reason").isNotNull()).drop("__line")
    dropped.write.mode("overwrite").parquet(f"{out}/02_clean_dropped")

    ms = F.unix_millis("InvoiceDate")
    customers = (
        kept.withColumn("__amount", F.col("Quantity").cast("double") * F.col("UnitPrice").cast("double"))
        .groupBy("CustomerID")
        .agg(
            F.max(ms).alias("__last"),
            F.min(ms).alias("__first"),
            F.countDistinct("InvoiceNo").cast("double").alias("frequency"),
            F.coalesce(F.sum("__amount"), F.lit(0.0)).alias("monetary"),
            F.coalesce(F.sum(F.col("Quantity").cast("double")), F.lit(0.0)).alias("__items"),
        )
        .toArrow()
    )
    seconds = time.time() - started
    total = sum(v for v in customers.column("monetary").to_pylist() if v is not None)
    print(f"pyspark peer: {seconds:.2f} s, {customers.num_rows} customers, monetary {total:.6f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
