//! Entry points: thin dispatch to one handler per message.
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Deps, DepsMut, Env, MessageInfo, Response,
};
use cw_utils::nonpayable;
use keel_types::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::execute::automation::{allow_top_up, disallow_top_up, rebalance, set_automation};
use crate::execute::liquidate::{liquidate, seize, LiquidateArgs, SeizeArgs};
use crate::execute::redeem::redeem;
use crate::execute::{admin, user, Payment};
use crate::query;
use crate::state::Config;

pub const CONTRACT_NAME: &str = "crates.io:keel-market";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let owner = deps.api.addr_validate(&msg.owner)?;
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(owner.as_str()))?;
    let config = admin::config_from_instantiate(deps.api, msg)?;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner)
        .add_attribute("oracle", config.oracle))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let takes_funds = matches!(
        msg,
        ExecuteMsg::OpenPosition { .. }
            | ExecuteMsg::Deposit { .. }
            | ExecuteMsg::Repay { .. }
            | ExecuteMsg::Liquidate { .. }
            | ExecuteMsg::Seize { .. }
            | ExecuteMsg::Redeem { .. }
    );
    if !takes_funds {
        nonpayable(&info)?;
    }
    match msg {
        ExecuteMsg::OpenPosition {
            automation,
            push_to_draw_down_sink,
        } => {
            let payments = Payment::from_funds(&info)?;
            let hook = Payable::OpenPosition {
                automation,
                push_to_draw_down_sink,
            };
            pay(deps, env, info.sender, payments, hook)
        }
        ExecuteMsg::Deposit {
            position_id,
            push_to_draw_down_sink,
        } => {
            let payments = Payment::from_funds(&info)?;
            let hook = Payable::Deposit {
                position_id,
                push_to_draw_down_sink,
            };
            pay(deps, env, info.sender, payments, hook)
        }
        ExecuteMsg::Repay { position_id } => {
            let payments = Payment::from_funds(&info)?;
            pay(
                deps,
                env,
                info.sender,
                payments,
                Payable::Repay { position_id },
            )
        }
        ExecuteMsg::Liquidate {
            position_id,
            debt_denom,
            collateral_denom,
            close_factor,
            liquidation_bonus,
            min_collateral_out,
            recipient,
        } => {
            let payments = Payment::from_funds(&info)?;
            let hook = Payable::Liquidate(LiquidateArgs {
                position_id,
                debt_denom,
                collateral_denom,
                close_factor,
                liquidation_bonus,
                min_collateral_out,
                recipient,
            });
            pay(deps, env, info.sender, payments, hook)
        }
        ExecuteMsg::Seize {
            position_id,
            debt_denom,
            repay_amount,
            collateral_denom,
            collateral_amount,
            recipient,
        } => {
            let payments = Payment::from_funds(&info)?;
            let hook = Payable::Seize(SeizeArgs {
                position_id,
                debt_denom,
                repay_amount,
                collateral_denom,
                collateral_amount,
                recipient,
            });
            pay(deps, env, info.sender, payments, hook)
        }
        ExecuteMsg::Redeem {
            position_id,
            collateral_denom,
            min_collateral_out,
        } => {
            let payments = Payment::from_funds(&info)?;
            let hook = Payable::Redeem {
                position_id,
                collateral_denom,
                min_collateral_out,
            };
            pay(deps, env, info.sender, payments, hook)
        }
        ExecuteMsg::Receive(cw20_msg) => receive(deps, env, info, cw20_msg),
        ExecuteMsg::ListAsset { denom, params } => {
            admin::list_asset(deps, env, info, denom, params)
        }
        ExecuteMsg::UpdateAsset { denom, params } => {
            admin::update_asset(deps, env, info, denom, params)
        }
        ExecuteMsg::UpdateConfig(update) => admin::update_config(deps, info, update),
        ExecuteMsg::TransferOwnership { new_owner } => {
            admin::transfer_ownership(deps, env, info, new_owner)
        }
        ExecuteMsg::AcceptOwnership {} => admin::accept_ownership(deps, env, info),
        ExecuteMsg::WithdrawReserves {
            denom,
            amount,
            recipient,
        } => admin::withdraw_reserves(deps, env, info, denom, amount, recipient),
        ExecuteMsg::Withdraw {
            position_id,
            denom,
            amount,
            recipient,
        } => user::withdraw(deps, env, info, position_id, denom, amount, recipient),
        ExecuteMsg::Borrow {
            position_id,
            denom,
            amount,
            recipient,
            to_collateral,
        } => user::borrow(
            deps,
            env,
            info,
            position_id,
            denom,
            amount,
            recipient,
            to_collateral,
        ),
        ExecuteMsg::SetAutomation {
            position_id,
            automation,
        } => set_automation(deps, env, info, position_id, automation),
        ExecuteMsg::Rebalance { position_id } => rebalance(deps, env, position_id),
        ExecuteMsg::AllowTopUp {
            position_id,
            amount,
        } => allow_top_up(deps, info, position_id, amount),
        ExecuteMsg::DisallowTopUp { position_id } => disallow_top_up(deps, info, position_id),
        ExecuteMsg::SetRedemptionsPaused { paused } => {
            admin::set_redemptions_paused(deps, info, paused)
        }
    }
}

/// The messages that come with tokens, whichever way the tokens arrive: native funds, or a cw20
/// `send` whose hook is the message of the same name.
enum Payable {
    OpenPosition {
        automation: Option<keel_types::market::Automation>,
        push_to_draw_down_sink: bool,
    },
    Deposit {
        position_id: u64,
        push_to_draw_down_sink: bool,
    },
    Repay {
        position_id: u64,
    },
    Liquidate(LiquidateArgs),
    Seize(SeizeArgs),
    Redeem {
        position_id: u64,
        collateral_denom: String,
        min_collateral_out: Option<cosmwasm_std::Uint128>,
    },
}

impl Payable {
    /// The message of a cw20 hook: one of the execute messages that take tokens. The hook is
    /// read as an `ExecuteMsg` (the `ReceiveMsg` of the schema is a subset of its JSON), so
    /// that the market carries one reader of those messages, not two.
    fn from_hook(msg: ExecuteMsg) -> Result<Self, ContractError> {
        Ok(match msg {
            ExecuteMsg::OpenPosition {
                automation,
                push_to_draw_down_sink,
            } => Payable::OpenPosition {
                automation,
                push_to_draw_down_sink,
            },
            ExecuteMsg::Deposit {
                position_id,
                push_to_draw_down_sink,
            } => Payable::Deposit {
                position_id,
                push_to_draw_down_sink,
            },
            ExecuteMsg::Repay { position_id } => Payable::Repay { position_id },
            ExecuteMsg::Liquidate {
                position_id,
                debt_denom,
                collateral_denom,
                close_factor,
                liquidation_bonus,
                min_collateral_out,
                recipient,
            } => Payable::Liquidate(LiquidateArgs {
                position_id,
                debt_denom,
                collateral_denom,
                close_factor,
                liquidation_bonus,
                min_collateral_out,
                recipient,
            }),
            ExecuteMsg::Seize {
                position_id,
                debt_denom,
                repay_amount,
                collateral_denom,
                collateral_amount,
                recipient,
            } => Payable::Seize(SeizeArgs {
                position_id,
                debt_denom,
                repay_amount,
                collateral_denom,
                collateral_amount,
                recipient,
            }),
            ExecuteMsg::Redeem {
                position_id,
                collateral_denom,
                min_collateral_out,
            } => Payable::Redeem {
                position_id,
                collateral_denom,
                min_collateral_out,
            },
            _ => {
                return Err(ContractError::UnexpectedFunds {
                    reason: "that message takes no tokens: it is not a cw20 hook".to_string(),
                })
            }
        })
    }
}

/// Routes a message that came with `payments` from `sender` (the cw20 `send`'s sender for a
/// hook: the owner of a new position, the one refunded).
fn pay(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    payments: Vec<Payment>,
    msg: Payable,
) -> Result<Response, ContractError> {
    match msg {
        Payable::OpenPosition {
            automation,
            push_to_draw_down_sink,
        } => user::open_position(
            deps,
            env,
            sender,
            payments,
            automation,
            push_to_draw_down_sink,
        ),
        Payable::Deposit {
            position_id,
            push_to_draw_down_sink,
        } => user::deposit(
            deps,
            env,
            sender,
            position_id,
            payments,
            push_to_draw_down_sink,
        ),
        Payable::Repay { position_id } => {
            user::repay(deps, env, position_id, Payment::single(payments)?)
        }
        Payable::Liquidate(args) => liquidate(deps, env, Payment::single(payments)?, args),
        Payable::Seize(args) => seize(deps, env, Payment::single(payments)?, args),
        Payable::Redeem {
            position_id,
            collateral_denom,
            min_collateral_out,
        } => redeem(
            deps,
            env,
            Payment::single(payments)?,
            position_id,
            collateral_denom,
            min_collateral_out,
        ),
    }
}

/// cw20 tokens: the token contract is `info.sender`; the acting address is `cw20_msg.sender`.
fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cw20_msg: cw20::Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let denom = format!("cw20:{}", info.sender);
    // cw20-base 2.x forwards a `send` of zero: refused like zero native funds (SPEC 5).
    if cw20_msg.amount.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    let sender = deps.api.addr_validate(&cw20_msg.sender)?;
    let payment = Payment {
        denom,
        amount: cw20_msg.amount,
        payer: sender.clone(),
    };
    let msg = Payable::from_hook(from_json(&cw20_msg.msg)?)?;
    pay(deps, env, sender, vec![payment], msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Asset { denom } => to_json_binary(&query::asset(deps, env, denom)?),
        QueryMsg::Assets { start_after, limit } => {
            to_json_binary(&query::assets(deps, env, start_after, limit)?)
        }
        QueryMsg::Position { position_id } => {
            to_json_binary(&query::position(deps, env, position_id)?)
        }
        QueryMsg::Positions {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query::positions(deps, env, owner, start_after, limit)?),
        QueryMsg::LiquidatablePositions { start_after, limit } => to_json_binary(
            &query::liquidatable_positions(deps, env, start_after, limit)?,
        ),
        QueryMsg::MaxBorrow { position_id, denom } => {
            to_json_binary(&query::max_borrow(deps, env, position_id, denom)?)
        }
        QueryMsg::Simulate {
            position_id,
            actions,
        } => to_json_binary(&query::simulate(deps, env, position_id, actions)?),
        QueryMsg::RedemptionQuote {
            position_id,
            collateral_denom,
            amount,
        } => to_json_binary(&query::redemption_quote(
            deps,
            env,
            position_id,
            collateral_denom,
            amount,
        )?),
        QueryMsg::RedeemablePositions { start_after, limit } => {
            to_json_binary(&query::redeemable_positions(deps, env, start_after, limit)?)
        }
        QueryMsg::TopUpConsent {
            position_id,
            source,
        } => to_json_binary(&query::top_up_consent(deps, position_id, source)?),
        QueryMsg::LiquidationQuote {
            position_id,
            debt_denom,
            collateral_denom,
            close_factor,
            liquidation_bonus,
            repay_amount,
        } => to_json_binary(&query::liquidation_quote(
            deps,
            env,
            position_id,
            (debt_denom, collateral_denom),
            (close_factor, liquidation_bonus),
            repay_amount,
        )?),
    }?)
}

/// Refuses another contract's state and a downgrade (cw2). From the version before records
/// were versioned, moves the owner out of the config record into cw-ownable, rewrites the
/// config in its current format and moves the assets' records to their keys under `a` + id
/// (a few records: one transaction); positions migrate lazily, when next saved.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = cw2::ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    if let Some(legacy) = Config::load_legacy_ownership(deps.storage, deps.api)? {
        let ownership = cw_ownable::Ownership {
            owner: Some(legacy.owner),
            pending_owner: legacy.pending_owner,
            pending_expiry: None,
        };
        cw_ownable::OwnershipStore::new(cw_ownable::OWNERSHIP_KEY)
            .item
            .save(deps.storage, &ownership)?;
        Config::load(deps.storage, deps.api)?.save(deps.storage, deps.api)?;
    }
    let moved = crate::state::move_legacy_asset_records(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION)
        .add_attribute("assets_moved", moved.to_string()))
}
