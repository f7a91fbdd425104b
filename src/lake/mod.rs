//! The Parquet lake.
