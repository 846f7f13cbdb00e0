//! Instantiation, liquidation, admin and migration.
use cosmwasm_std::{
    coins, from_json, to_json_binary, Addr, CosmosMsg, Decimal, DepsMut, Env, MessageInfo,
    Response, StdError, Uint128, WasmMsg,
};
use cw2::ContractVersion;
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_ownable::{Action, OwnershipError};
use cw_utils::PaymentError;
use keel_types::liquidator::{InstantiateMsg, ReceiveMsg};
use keel_types::market::{ExecuteMsg as MarketExecuteMsg, ReceiveMsg as MarketReceiveMsg};

use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;
use crate::state::Config;

/// Default share of a debt one liquidation may repay.
pub const DEFAULT_CLOSE_FACTOR: Decimal = Decimal::percent(20);
/// Default liquidation bonus.
pub const DEFAULT_LIQUIDATION_BONUS: Decimal = Decimal::percent(3);

/// The prefix of a cw20 token's denom: `cw20:<contract address>` (SPEC 1).
pub const CW20_PREFIX: &str = "cw20:";

/// `0 < close_factor <= 1` and `liquidation_bonus < 1`.
pub fn validate_factors(close_factor: Decimal, bonus: Decimal) -> Result<(), ContractError> {
    if close_factor.is_zero() || close_factor > Decimal::one() {
        return Err(ContractError::InvalidConfig {
            reason: format!("close_factor {close_factor} must be in (0, 1]"),
        });
    }
    if bonus >= Decimal::one() {
        return Err(ContractError::InvalidConfig {
            reason: format!("liquidation_bonus {bonus} must be below 1"),
        });
    }
    Ok(())
}

pub fn instantiate(deps: DepsMut, msg: InstantiateMsg) -> Result<Response, ContractError> {
    let owner = deps.api.addr_validate(&msg.owner)?;
    let market = deps.api.addr_validate(&msg.market)?;
    let close_factor = msg.close_factor.unwrap_or(DEFAULT_CLOSE_FACTOR);
    let liquidation_bonus = msg.liquidation_bonus.unwrap_or(DEFAULT_LIQUIDATION_BONUS);
    validate_factors(close_factor, liquidation_bonus)?;

    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(owner.as_str()))?;
    Config {
        market: market.clone(),
        close_factor,
        liquidation_bonus,
    }
    .save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner)
        .add_attribute("market", market)
        .add_attribute("close_factor", close_factor.to_string())
        .add_attribute("liquidation_bonus", liquidation_bonus.to_string()))
}

/// The fields of `liquidate`, whichever way the repayment came.
#[derive(Clone, Debug, PartialEq)]
pub struct LiquidateArgs {
    pub position_id: u64,
    pub debt_denom: String,
    pub collateral_denom: String,
    pub min_collateral_out: Option<Uint128>,
}

/// How the repayment arrived, and so how it is forwarded and refunded.
#[derive(Clone, Debug, PartialEq)]
enum Payment {
    Native { denom: String },
    Cw20 { token: Addr },
}

/// `liquidate` with native funds: exactly one coin, of the debt denom.
pub fn liquidate_native(
    deps: DepsMut,
    info: MessageInfo,
    args: LiquidateArgs,
) -> Result<Response, ContractError> {
    let amount = native_repayment(&info, &args.debt_denom)?;
    let payment = Payment::Native {
        denom: args.debt_denom.clone(),
    };
    liquidate(deps, info.sender, amount, payment, args)
}

/// The repayment attached to `liquidate` (`cw_utils::must_pay`): exactly one coin, of the debt
/// denom, not zero. Native denoms in the reserved `cw20:` form are refused whatever they are.
fn native_repayment(info: &MessageInfo, debt_denom: &str) -> Result<Uint128, ContractError> {
    if let Some(coin) = info
        .funds
        .iter()
        .find(|coin| coin.denom.starts_with(CW20_PREFIX))
    {
        // Reserved for cw20 tokens (SPEC 1): never a native coin.
        return Err(ContractError::WrongFunds {
            reason: format!(
                "native denom {} uses the reserved prefix {CW20_PREFIX}",
                coin.denom
            ),
        });
    }
    cw_utils::must_pay(info, debt_denom).map_err(|error| match (error, info.funds.as_slice()) {
        // `must_pay` calls one coin of zero "no funds"
        (PaymentError::NoFunds {}, [coin]) => ContractError::ZeroAmount {
            denom: coin.denom.clone(),
        },
        (PaymentError::NoFunds {}, _) => ContractError::NoFunds,
        (PaymentError::MissingDenom(_), [coin]) => ContractError::WrongFunds {
            reason: format!("sent {} but the debt denom is {debt_denom}", coin.denom),
        },
        (PaymentError::MultipleDenoms {}, funds) => ContractError::WrongFunds {
            reason: format!(
                "send exactly one coin, of the debt denom {debt_denom}; got {} coins",
                funds.len()
            ),
        },
        (other, _) => ContractError::WrongFunds {
            reason: other.to_string(),
        },
    })
}

/// Fails when native funds came with a message that takes none (they would stay here).
pub fn nonpayable(info: &MessageInfo) -> Result<(), ContractError> {
    cw_utils::nonpayable(info).map_err(|error| ContractError::WrongFunds {
        reason: match error {
            PaymentError::NonPayable {} => "this message takes no funds".to_string(),
            other => other.to_string(),
        },
    })
}

/// `liquidate` through cw20 `send`: the sending token contract must be the debt denom.
pub fn receive_cw20(
    deps: DepsMut,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let ReceiveMsg::Liquidate {
        position_id,
        debt_denom,
        collateral_denom,
        min_collateral_out,
    } = from_json(&wrapper.msg)?;
    let token = info.sender;
    let sent_denom = format!("{CW20_PREFIX}{token}");
    if sent_denom != debt_denom {
        return Err(ContractError::WrongFunds {
            reason: format!("sent {sent_denom} but the debt denom is {debt_denom}"),
        });
    }
    if wrapper.amount.is_zero() {
        // cw20-base 2.x forwards a `send` of zero (SPEC 5).
        return Err(ContractError::ZeroAmount { denom: sent_denom });
    }
    let caller = deps.api.addr_validate(&wrapper.sender)?;
    let args = LiquidateArgs {
        position_id,
        debt_denom,
        collateral_denom,
        min_collateral_out,
    };
    liquidate(deps, caller, wrapper.amount, Payment::Cw20 { token }, args)
}

/// Hands the repayment to the market's one-pass `liquidate` with this liquidator's close factor
/// and bonus: the market prices the position with its one oracle query, settles, refunds what is
/// not used and pays the collateral, all to `caller` (SPEC 4). No query here: each contract call
/// costs a chain 60,000 gas when the code is not pinned.
fn liquidate(
    deps: DepsMut,
    caller: Addr,
    sent: Uint128,
    payment: Payment,
    args: LiquidateArgs,
) -> Result<Response, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let LiquidateArgs {
        position_id,
        debt_denom,
        collateral_denom,
        min_collateral_out,
    } = args;
    let order = MarketLiquidate {
        position_id,
        debt_denom: debt_denom.clone(),
        collateral_denom: collateral_denom.clone(),
        close_factor: config.close_factor,
        liquidation_bonus: config.liquidation_bonus,
        min_collateral_out,
        recipient: caller.to_string(),
    };
    let message: CosmosMsg = match &payment {
        Payment::Native { denom } => WasmMsg::Execute {
            contract_addr: config.market.to_string(),
            msg: to_json_binary(&order.execute())?,
            funds: coins(sent.u128(), denom),
        }
        .into(),
        Payment::Cw20 { token } => WasmMsg::Execute {
            contract_addr: token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Send {
                contract: config.market.to_string(),
                amount: sent,
                msg: to_json_binary(&order.hook())?,
            })?,
            funds: vec![],
        }
        .into(),
    };
    Ok(Response::new()
        .add_message(message)
        .add_attribute("action", "liquidate")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("debt_denom", debt_denom)
        .add_attribute("collateral_denom", collateral_denom)
        .add_attribute("offered", sent)
        .add_attribute("liquidator", caller))
}

/// The market's `liquidate`, as an execute message or as the debt token's `send` hook.
struct MarketLiquidate {
    position_id: u64,
    debt_denom: String,
    collateral_denom: String,
    close_factor: Decimal,
    liquidation_bonus: Decimal,
    min_collateral_out: Option<Uint128>,
    recipient: String,
}

impl MarketLiquidate {
    fn execute(self) -> MarketExecuteMsg {
        MarketExecuteMsg::Liquidate {
            position_id: self.position_id,
            debt_denom: self.debt_denom,
            collateral_denom: self.collateral_denom,
            close_factor: self.close_factor,
            liquidation_bonus: self.liquidation_bonus,
            min_collateral_out: self.min_collateral_out,
            recipient: self.recipient,
        }
    }

    fn hook(self) -> MarketReceiveMsg {
        MarketReceiveMsg::Liquidate {
            position_id: self.position_id,
            debt_denom: self.debt_denom,
            collateral_denom: self.collateral_denom,
            close_factor: self.close_factor,
            liquidation_bonus: self.liquidation_bonus,
            min_collateral_out: self.min_collateral_out,
            recipient: self.recipient,
        }
    }
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    market: Option<String>,
    close_factor: Option<Decimal>,
    liquidation_bonus: Option<Decimal>,
) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender).map_err(ownership_error)?;
    let mut config = Config::load(deps.storage, deps.api)?;
    if let Some(market) = market {
        config.market = deps.api.addr_validate(&market)?;
    }
    if let Some(close_factor) = close_factor {
        config.close_factor = close_factor;
    }
    if let Some(bonus) = liquidation_bonus {
        config.liquidation_bonus = bonus;
    }
    validate_factors(config.close_factor, config.liquidation_bonus)?;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("market", config.market)
        .add_attribute("close_factor", config.close_factor.to_string())
        .add_attribute("liquidation_bonus", config.liquidation_bonus.to_string()))
}

/// cw-ownable's refusals as this contract's errors.
fn ownership_error(error: OwnershipError) -> ContractError {
    match error {
        OwnershipError::Std(error) => ContractError::Std(error),
        // no message renounces the ownership: `NoOwner` does not occur
        OwnershipError::NotOwner | OwnershipError::NoOwner | OwnershipError::NotPendingOwner => {
            ContractError::Unauthorized
        }
        // transfers are proposed without expiry: an expired one does not occur
        OwnershipError::TransferNotFound | OwnershipError::TransferExpired => {
            ContractError::NoPendingOwner
        }
    }
}

/// Owner only: proposes `new_owner`, who becomes the owner on `accept_ownership`. A later
/// proposal replaces an earlier one.
pub fn transfer_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new_owner: String,
) -> Result<Response, ContractError> {
    let ownership = cw_ownable::update_ownership(
        deps,
        &env.block,
        &info.sender,
        Action::TransferOwnership {
            new_owner,
            expiry: None,
        },
    )
    .map_err(ownership_error)?;
    let mut response = Response::new().add_attribute("action", "transfer_ownership");
    if let Some(pending) = ownership.pending_owner {
        response = response.add_attribute("pending_owner", pending);
    }
    Ok(response)
}

/// The pending owner only.
pub fn accept_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_ownable::update_ownership(deps, &env.block, &info.sender, Action::AcceptOwnership)
        .map_err(ownership_error)?;
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("owner", info.sender))
}

/// Refuses another contract's state and a downgrade (cw2), records this version, moves the
/// owners out of a config record of version 0 and rewrites the config in the current version.
pub fn migrate(mut deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    cw2::ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)
        .map_err(|_| migration_refusal(&stored))?;
    move_legacy_ownership(deps.branch(), &env)?;
    let config = Config::load(deps.storage, deps.api)?;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// What cw2 refused: another contract's state, else a stored version of this contract that is
/// newer than this code (cw2 also refuses a version that is not semver, which no version of this
/// contract writes).
fn migration_refusal(stored: &ContractVersion) -> ContractError {
    if stored.contract != CONTRACT_NAME {
        return ContractError::WrongContract {
            stored: stored.contract.clone(),
            expected: CONTRACT_NAME.to_string(),
        };
    }
    ContractError::CannotDowngrade {
        stored: stored.version.clone(),
        new: CONTRACT_VERSION.to_string(),
    }
}

/// A config record of version 0 holds the owner and pending owner, which cw-ownable holds from
/// version 1 on: they move there when cw-ownable holds no ownership yet.
fn move_legacy_ownership(deps: DepsMut, env: &Env) -> Result<(), ContractError> {
    match cw_ownable::get_ownership(deps.storage) {
        Ok(_) => return Ok(()),
        Err(StdError::NotFound { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    let legacy = Config::load_legacy_ownership(deps.storage, deps.api)?
        .ok_or_else(|| StdError::not_found("liquidator owner"))?;
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(legacy.owner.as_str()))?;
    if let Some(pending) = legacy.pending_owner {
        cw_ownable::update_ownership(
            deps,
            &env.block,
            &legacy.owner,
            Action::TransferOwnership {
                new_owner: pending.into_string(),
                expiry: None,
            },
        )
        .map_err(ownership_error)?;
    }
    Ok(())
}
