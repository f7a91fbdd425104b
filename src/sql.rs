//! Polars SQL context over lake and metric tables.
