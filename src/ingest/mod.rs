//! Reading exports into validated, typed tables.
