//! Data-quality findings with stable codes.
