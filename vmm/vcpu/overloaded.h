// The usual helper for std::visit: one lambda per alternative, in one object.
#pragma once

namespace berth::vcpu {

template <class... Handlers>
struct Overloaded : Handlers... {
    using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

}  // namespace berth::vcpu
