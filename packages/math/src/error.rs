use thiserror::Error;

/// Every way a math function can fail. Contracts wrap this in their own `ContractError`.
#[derive(Error, Debug, PartialEq, Eq, Clone)]
pub enum MathError {
    #[error("math overflow in {0}")]
    Overflow(&'static str),

    #[error("division by zero in {0}")]
    DivideByZero(&'static str),

    #[error("invalid rate model: {0}")]
    InvalidRateModel(String),

    #[error("invalid health bounds: {0}")]
    InvalidHealthBounds(String),
}
